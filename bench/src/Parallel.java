import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Work spread over a few client threads, each with its own keep-alive connection. */
final class Parallel {
    private Parallel() {}

    @FunctionalInterface
    interface Task<T> {
        void run(Http connection, T item) throws Exception;
    }

    /** Runs task(item) for every item on {@code clients} platform threads; rethrows the first failure. */
    static <T> void forEach(List<T> items, int clients, Supplier<Http> connect, Task<T> task) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        Exception[] failure = new Exception[1];
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofPlatform().name("bench-client-" + c).start(() -> {
                try (Http h = connect.get()) {
                    for (int i; (i = next.getAndIncrement()) < items.size(); ) task.run(h, items.get(i));
                } catch (Exception e) {
                    synchronized (failure) {
                        if (failure[0] == null) failure[0] = e;
                    }
                    next.set(items.size()); // stop the others early
                }
            }));
        }
        for (Thread t : threads) t.join();
        if (failure[0] != null) throw failure[0];
    }
}
