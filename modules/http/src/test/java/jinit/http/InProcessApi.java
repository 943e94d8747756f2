package jinit.http;

import jinit.api.AccountRef;
import jinit.supervisor.AccessPolicy;
import jinit.supervisor.Directory;
import jinit.supervisor.EventLog;
import jinit.supervisor.Scheduler;
import jinit.supervisor.Supervisor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The API as init serves it (ApiServer on a free loopback port, a real Supervisor and AccessPolicy) in this JVM,
 * over {@link ScriptedProcesses}. Callers are root unless a test says which uid a client port is; the system has
 * root and alice (uid and gid 1000).
 */
final class InProcessApi implements AutoCloseable {
    static final String TOKEN = "0123456789abcdef".repeat(4);
    static final int ALICE = 1000;

    final ScriptedProcesses processes = new ScriptedProcesses();
    final Supervisor supervisor;
    final List<String> console = new CopyOnWriteArrayList<>();
    final List<SystemControl.Action> shutdowns = new CopyOnWriteArrayList<>();
    private final Map<Integer, Integer> uidByClientPort = new ConcurrentHashMap<>();
    private final ApiServer server;

    InProcessApi(int maxJobs) throws IOException {
        supervisor = new Supervisor(processes, InstantSource.system(), Scheduler.system(), maxJobs, new EventLog(EventLog.DEFAULT_HISTORY));
        processes.attach(supervisor);
        PeerIdentity peers = (client, server) -> OptionalInt.of(uidByClientPort.getOrDefault(client.getPort(), 0));
        server = ApiServer.start(new ApiServer.Config(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), TOKEN, false, peers),
                supervisor, new AccessPolicy(new Accounts()), (action, reason) -> shutdowns.add(action), console::add);
    }

    /** Sends a request as root, without a token, and reads the whole answer. */
    Wire.Answer call(String method, String target) throws IOException {
        return call(0, method, target, Map.of(), null);
    }

    /** Sends a JSON body as root. */
    Wire.Answer call(String method, String target, String json) throws IOException {
        return call(0, method, target, Map.of("Content-Type", "application/json"), json);
    }

    Wire.Answer call(int uid, String method, String target, Map<String, String> headers, String body) throws IOException {
        try (Wire wire = open(uid)) {
            wire.send(method, target, headers, body);
            return wire.answer();
        }
    }

    /** A client that the server will find to be {@code uid}. */
    Wire open(int uid) throws IOException {
        Wire wire = new Wire(server.address());
        uidByClientPort.put(wire.localPort(), uid);
        return wire;
    }

    @Override
    public void close() {
        server.close();
    }

    /** root and alice. */
    private static final class Accounts implements Directory {
        @Override
        public OptionalInt uid(AccountRef user) {
            return switch (user) {
                case AccountRef.Name(String name) when name.equals("root") -> OptionalInt.of(0);
                case AccountRef.Name(String name) when name.equals("alice") -> OptionalInt.of(ALICE);
                case AccountRef.Id(int id) when id == 0 || id == ALICE -> OptionalInt.of(id);
                default -> OptionalInt.empty();
            };
        }

        @Override
        public OptionalInt gid(AccountRef group) {
            return uid(group);
        }

        @Override
        public Optional<Account> account(int uid) {
            return switch (uid) {
                case 0 -> Optional.of(new Account("root", "/root", "/bin/sh"));
                case ALICE -> Optional.of(new Account("alice", "/home/alice", "/bin/sh"));
                default -> Optional.empty();
            };
        }

        @Override
        public Set<Integer> groupsOf(int uid) {
            return account(uid).isPresent() ? Set.of(uid) : Set.of();
        }
    }
}
