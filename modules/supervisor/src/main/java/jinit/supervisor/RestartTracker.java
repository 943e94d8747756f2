package jinit.supervisor;

import jinit.api.ExitStatus;
import jinit.api.Restart;

import java.util.ArrayDeque;

/**
 * Decides, each time a job's process ends, whether it comes back and after how long. Pure arithmetic
 * on millisecond timestamps, so properties can check it against a simulated clock.
 */
final class RestartTracker {

    sealed interface Decision {
        /** Leave the job ended: the policy does not ask for a restart, or it was stopped on purpose. */
        record Stay() implements Decision {}

        /** Restart after {@code delayMillis}. */
        record RestartAfter(long delayMillis) implements Decision {}

        /** The burst limit is reached: leave the job ended and say so. */
        record GiveUp() implements Decision {}
    }

    private final Restart policy;
    /** Restarts in a row without a process staying up for {@code resetAfter}. */
    private int consecutive;
    /** When recent restarts were decided, oldest first, pruned to the window. */
    private final ArrayDeque<Long> recentRestarts = new ArrayDeque<>();

    RestartTracker(Restart policy) {
        this.policy = policy;
    }

    /**
     * @param exit             how the process ended, or null when it could not even start
     * @param uptimeMillis     how long it ran (since it was ready: what {@code resetAfter} counts)
     * @param signalledByApi   a client signalled it through the API: death by a signal is then no failure
     * @param stopRequested    a client stopped it: never restart
     */
    Decision onExit(ExitStatus exit, long nowMillis, long uptimeMillis, boolean signalledByApi, boolean stopRequested) {
        return onExit(exit, nowMillis, uptimeMillis, signalledByApi, stopRequested, false);
    }

    /**
     * @param failed init ended the process as a failure (not ready in time, or its watchdog fired): whatever its
     *               exit says, it counts as one
     */
    Decision onExit(ExitStatus exit, long nowMillis, long uptimeMillis, boolean signalledByApi, boolean stopRequested,
                    boolean failed) {
        if (stopRequested || !(wanted(exit, signalledByApi) || failed && policy.policy() != Restart.Policy.NO)) {
            return new Decision.Stay();
        }
        if (uptimeMillis >= policy.resetAfter()) consecutive = 0;
        while (!recentRestarts.isEmpty() && recentRestarts.peekFirst() <= nowMillis - policy.window()) recentRestarts.pollFirst();
        if (recentRestarts.size() >= policy.burst()) return new Decision.GiveUp();
        consecutive++;
        recentRestarts.addLast(nowMillis);
        return new Decision.RestartAfter(policy.delayBefore(consecutive));
    }

    private boolean wanted(ExitStatus exit, boolean signalledByApi) {
        return switch (policy.policy()) {
            case NO -> false;
            case ALWAYS -> true;
            case ON_FAILURE -> switch (exit) {
                case null -> true; // could not start: a failure
                case ExitStatus.Code(int code) -> code != 0;
                case ExitStatus.Signaled s -> !signalledByApi;
            };
        };
    }
}
