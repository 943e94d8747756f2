package jinit.api;

/** A user or group as a spec names it: by name from /etc/passwd or /etc/group, or by numeric id. */
public sealed interface AccountRef {
    record Name(String name) implements AccountRef {}

    record Id(int id) implements AccountRef {}

    /** The form the account database resolves: the name, or the id in decimal. */
    default String text() {
        return switch (this) {
            case Name(String name) -> name;
            case Id(int id) -> Integer.toString(id);
        };
    }
}
