package jinit.boot;

import java.util.List;
import java.util.Map;

/**
 * The command line: {@code jinit [--bind ADDR] [--port N] [--stay] [--token-file PATH] [--allow-remote] [--cgroup PATH] [--]
 * [next command [args…]]}. The kernel hands {@code KEY=VALUE} boot parameters to init as environment variables, so
 * {@code JINIT_BIND}, {@code JINIT_PORT} and {@code JINIT_TOKEN_FILE} work where no command line can be edited.
 */
record Options(String bind, int port, boolean stay, String tokenFile, boolean allowRemote, List<String> nextCommand,
               String cgroup) {
    static final String DEFAULT_BIND = "127.0.0.1";
    static final int DEFAULT_PORT = 1;

    /** Options without a delegated cgroup. */
    Options(String bind, int port, boolean stay, String tokenFile, boolean allowRemote, List<String> nextCommand) {
        this(bind, port, stay, tokenFile, allowRemote, nextCommand, null);
    }

    static final String USAGE = """
            usage: jinit [--bind ADDR] [--port N] [--stay] [--token-file PATH] [--allow-remote] [--cgroup PATH] [--] [next command [args...]]
              --bind ADDR        address to serve the API on (default 127.0.0.1; env JINIT_BIND)
              --port N           TCP port, 0 for any free one (default 1; env JINIT_PORT)
              --stay             when not PID 1, keep serving after the next command ends
              --token-file PATH  where to write the per-boot admin token (default %s; env JINIT_TOKEN_FILE)
              --allow-remote     allow --bind off loopback; every request then needs the token
              --cgroup PATH      when not PID 1, a cgroup2 directory delegated to init for its jobs (env JINIT_CGROUP)""".formatted(TokenFile.DEFAULT_PATH);

    static Options parse(List<String> args, Map<String, String> env) throws UsageException {
        String bind = env.getOrDefault("JINIT_BIND", DEFAULT_BIND);
        String port = env.getOrDefault("JINIT_PORT", Integer.toString(DEFAULT_PORT));
        boolean stay = false;
        String tokenFile = env.getOrDefault("JINIT_TOKEN_FILE", TokenFile.DEFAULT_PATH);
        boolean allowRemote = false;
        String cgroup = env.get("JINIT_CGROUP");
        int i = 0;
        while (i < args.size()) {
            String arg = args.get(i);
            if (arg.equals("--")) { i++; break; }
            if (!arg.startsWith("--")) break;
            switch (arg) {
                case "--bind" -> bind = value(args, ++i, arg);
                case "--port" -> port = value(args, ++i, arg);
                case "--stay" -> stay = true;
                case "--token-file" -> tokenFile = value(args, ++i, arg);
                case "--allow-remote" -> allowRemote = true;
                case "--cgroup" -> cgroup = value(args, ++i, arg);
                case "--help" -> throw new UsageException(null);
                default -> throw new UsageException("unknown option " + arg);
            }
            i++;
        }
        int portNumber;
        try {
            portNumber = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new UsageException("port '" + port + "' is not a number");
        }
        if (portNumber < 0 || portNumber > 65535) throw new UsageException("port " + portNumber + " is out of range");
        return new Options(bind, portNumber, stay, tokenFile, allowRemote, List.copyOf(args.subList(i, args.size())),
                cgroup == null || cgroup.isEmpty() ? null : cgroup);
    }

    private static String value(List<String> args, int index, String option) throws UsageException {
        if (index >= args.size()) throw new UsageException(option + " needs a value");
        return args.get(index);
    }

    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
