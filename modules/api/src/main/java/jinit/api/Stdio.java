package jinit.api;

/**
 * Where a job's standard streams go. Defaults: stdin from /dev/null, stdout and stderr into the
 * job's log (a bounded ring buffer init always drains, so a job never blocks on output).
 */
public record Stdio(Target stdin, Target stdout, Target stderr) {

    public static final Stdio DEFAULT = new Stdio(new Target.Null(), new Target.Log(), new Target.Log());

    public sealed interface Target {
        /** /dev/null. */
        record Null() implements Target {}
        /** The job's log ring buffer (stdout and stderr only). */
        record Log() implements Target {}
        /** init's console, /dev/console. */
        record Console() implements Target {}
        /** Whatever init's own stream of that number is. */
        record Inherit() implements Target {}
        /** A file, created if missing; truncated unless {@code append}. */
        record File(String path, boolean append) implements Target {}
        /** The same place as stdout (stderr only): 2>&1. */
        record SameAsStdout() implements Target {}

        default String wire() {
            return switch (this) {
                case Null n -> "null";
                case Log l -> "log";
                case Console c -> "console";
                case Inherit i -> "inherit";
                case File f -> "file";
                case SameAsStdout s -> "stdout";
            };
        }
    }
}
