package jinit.api;

import java.util.List;
import java.util.Map;

/**
 * What to run, normalized: defaults filled in, aliases resolved.
 *
 * @param exec  the program; without a slash it is looked up in the job's own PATH
 * @param args  arguments after argv[0] (argv[0] is {@code exec})
 * @param cwd   working directory, "/" by default
 * @param envs  the job's entire environment, or null to inherit init's
 * @param user  run as this user, or null for root (or the caller, once access control applies)
 * @param group run with this group, or null for the user's primary group
 */
public record JobSpec(String exec, List<String> args, String cwd, Map<String, String> envs,
                      AccountRef user, AccountRef group) {

    public static final String DEFAULT_CWD = "/";

    public JobSpec {
        args = List.copyOf(args);
        if (envs != null) envs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(envs));
    }

    public static JobSpec of(String exec, String... args) {
        return new JobSpec(exec, List.of(args), DEFAULT_CWD, null, null, null);
    }

    public JobSpec withUser(AccountRef newUser) {
        return new JobSpec(exec, args, cwd, envs, newUser, group);
    }
}
