package jinit.posix;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The file actions that give a child exactly the fds a {@link SpawnRequest} asks for, in the order the
 * child must perform them. Pure so it can be checked against a model of an fd table.
 *
 * <p>The actions run one after another inside the child, so a dup2 onto fd {@code t} destroys {@code t}
 * for any later action that wanted to read it. Every source that lies inside the target range is
 * therefore first copied above both the target range and every other source.
 */
record FdPlan(List<Action> actions, int closeFrom) {

    sealed interface Action {}

    record Dup2(int from, int to) implements Action {}

    record OpenDevNull(int to) implements Action {}

    static FdPlan of(int stdin, int stdout, int stderr, List<Integer> passFds) {
        int limit = 3 + passFds.size();
        int[] sources = new int[limit];
        sources[0] = stdin;
        sources[1] = stdout;
        sources[2] = stderr;
        int highestSource = 2;
        for (int i = 0; i < passFds.size(); i++) {
            sources[3 + i] = passFds.get(i);
            highestSource = Math.max(highestSource, passFds.get(i));
        }
        for (int i = 0; i < 3; i++) {
            highestSource = Math.max(highestSource, sources[i]);
        }

        List<Action> actions = new ArrayList<>(limit + 2);
        Map<Integer, Integer> movedTo = new HashMap<>();
        int nextSpare = Math.max(limit, highestSource + 1);
        for (int source : sources) {
            boolean overwritten = source >= 0 && source < limit && sources[source] != SpawnRequest.INHERIT;
            if (overwritten && !movedTo.containsKey(source)) {
                movedTo.put(source, nextSpare);
                actions.add(new Dup2(source, nextSpare++));
            }
        }
        for (int target = 0; target < limit; target++) {
            int source = sources[target];
            switch (source) {
                case SpawnRequest.INHERIT -> {}
                case SpawnRequest.DEV_NULL -> actions.add(new OpenDevNull(target));
                default -> actions.add(new Dup2(movedTo.getOrDefault(source, source), target));
            }
        }
        return new FdPlan(List.copyOf(actions), limit);
    }
}
