package jinit.posix;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Drains any number of pipes (or sockets) on one platform thread, "jinit-output", with epoll.
 *
 * <p>Init must read every job's stdout and stderr all the time: a child whose pipe is full blocks in
 * write(2) until someone reads. One thread per pipe would make a thousand jobs cost two thousand threads;
 * here they cost one epoll registration each.
 *
 * <p>Each wakeup reads at most one buffer (64 KiB) per ready fd, so one chatty job cannot starve the
 * others, and lends the sink the pump's one heap buffer: reading allocates nothing per read, so a flood of
 * output costs no garbage. At end of file the pump closes the fd and calls {@link Sink#closed()} once. Sinks
 * run on the pump thread: they must not block, and what they throw (an OutOfMemoryError included) is
 * reported on stderr (once per fd) and otherwise ignored, so one sink cannot stop the draining of every pipe.
 *
 * <p>The thread ends only through {@link #close()}. Anything else that would end it (epoll failing, an error
 * outside a sink) is thrown out of it, to the thread's uncaught-exception handler: without the pump, every
 * job blocks once its pipe fills, so its death must not go unnoticed.
 */
public final class OutputPump implements AutoCloseable {
    /** Receives one fd's bytes, on the pump thread. */
    public interface Sink {
        /** The bytes are {@code buffer[offset..offset+length)}; the buffer is lent for the call only, so copy what you keep. */
        void data(byte[] buffer, int offset, int length);

        /** End of file (or a read error): no more data will come, and the fd is already closed. */
        void closed();
    }

    static final int BUFFER_SIZE = 64 * 1024;
    private static final int MAX_EVENTS = 64;
    private static final int EPOLL_CLOEXEC = OpenFlags.O_CLOEXEC;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLLIN = 0x001;
    private static final int EPOLLERR = 0x008;
    private static final int EPOLLHUP = 0x010;
    private static final int EPOLLRDHUP = 0x2000;
    private static final int EFD_NONBLOCK = OpenFlags.O_NONBLOCK;
    private static final int EFD_CLOEXEC = OpenFlags.O_CLOEXEC;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final MemoryIO MEMORY = LibC.memory();

    private final Posix posix;
    private final EpollEventLayout layout;
    private final int epollFd;
    /** An eventfd in the epoll set, written by {@link #close()} to wake the thread. */
    private final int wakeFd;
    private final Map<Integer, Watch> watches = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final Thread thread;

    // Guarded by lock: the one epoll_event (native memory) that watch() fills in for epoll_ctl, and the closed flag.
    private final long ctlEvent;
    private boolean closed;

    // Native memory owned by the pump thread. It and ctlEvent are freed when the thread ends.
    private final long events;
    private final long buffer;
    /** What {@code buffer} holds after a read, in the heap, lent to sinks. */
    private final byte[] lent = new byte[BUFFER_SIZE];

    private OutputPump(Posix posix) throws PosixException {
        this.posix = posix;
        this.layout = EpollEventLayout.forArch(System.getProperty("os.arch"));
        this.ctlEvent = LibC.allocate(layout.size(), true);
        this.events = LibC.allocate((long) layout.size() * MAX_EVENTS, true);
        this.buffer = LibC.allocate(BUFFER_SIZE, false);
        int epoll = -1;
        int wake = -1;
        try {
            epoll = LibC.epoll_create1(EPOLL_CLOEXEC);
            posix.check(epoll, "epoll_create1", null);
            wake = LibC.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            posix.check(wake, "eventfd", null);
            this.epollFd = epoll;
            this.wakeFd = wake;
            add(wakeFd);
        } catch (Throwable e) {
            if (wake >= 0) LibC.close(wake);
            if (epoll >= 0) LibC.close(epoll);
            freeMemory();
            throw e;
        }
        this.thread = Thread.ofPlatform().name("jinit-output").daemon(true).unstarted(this::run);
        thread.start();
    }

    /** Starts a pump and its thread. */
    public static OutputPump start(Posix posix) throws PosixException {
        return new OutputPump(posix);
    }

    /**
     * Takes {@code readFd} over: sets O_NONBLOCK on it and reads it until end of file, then closes it.
     * Any thread may call this. If it throws, the fd is still the caller's (with O_NONBLOCK perhaps set).
     * epoll refuses regular files (EPERM); pipes, sockets and ttys work. O_NONBLOCK belongs to this end's
     * open file description only: a child's write end stays blocking, as programs expect of their stdout.
     */
    public void watch(int readFd, Sink sink) throws PosixException {
        Objects.requireNonNull(sink, "sink");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the output pump is closed");
            }
            if (readFd == wakeFd || readFd == epollFd || watches.containsKey(readFd)) {
                throw new IllegalArgumentException("fd " + readFd + " is already watched");
            }
            int flags = LibC.fcntl(readFd, F_GETFL, 0);
            posix.check(flags, "fcntl F_GETFL", Integer.toString(readFd));
            posix.check(LibC.fcntl(readFd, F_SETFL, flags | OpenFlags.O_NONBLOCK), "fcntl F_SETFL",
                    Integer.toString(readFd));
            // In the map before epoll can report the fd, so the pump always finds its sink.
            watches.put(readFd, new Watch(sink));
            try {
                add(readFd);
            } catch (PosixException e) {
                watches.remove(readFd);
                throw e;
            }
        }
    }

    /**
     * Stops the thread and waits for it; every fd still watched is closed and its sink's
     * {@link Sink#closed()} called, and what was still unread in it is lost. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            // An eventfd is written as one native 8-byte integer that is added to its counter.
            byte[] one = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder()).putLong(1).array();
            LibC.write(wakeFd, one, one.length);
        }
        boolean interrupted = false;
        while (Thread.currentThread() != thread && thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true; // the fds must be closed before we return; ask again after
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void add(int fd) throws PosixException {
        synchronized (lock) {
            layout.write(ctlEvent, EPOLLIN | EPOLLRDHUP | EPOLLHUP, fd);
            posix.check(LibC.epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, ctlEvent), "epoll_ctl",
                    Integer.toString(fd));
        }
    }

    private void run() {
        try {
            while (true) {
                int n = LibC.epoll_wait(epollFd, events, MAX_EVENTS, -1);
                if (n < 0) {
                    int errno = LibC.errno();
                    if (errno == Errno.EINTR) {
                        continue;
                    }
                    // Only a bug gets here (EBADF, EFAULT, EINVAL); retrying would spin.
                    throw new IllegalStateException("jinit-output: " + posix.failure("epoll_wait", null, errno).getMessage()
                            + "; no more output will be read");
                }
                for (int i = 0; i < n; i++) {
                    int mask = layout.events(events, i);
                    int fd = (int) layout.data(events, i);
                    if (fd == wakeFd) {
                        return; // only close() writes it
                    }
                    serve(fd, mask);
                }
            }
        } finally {
            synchronized (lock) {
                closed = true; // also when epoll_wait failed: watch() must refuse from now on
            }
            for (int fd : watches.keySet()) {
                finish(fd);
            }
            LibC.close(wakeFd);
            LibC.close(epollFd);
            synchronized (lock) {
                freeMemory(); // watch() uses ctlEvent only under the lock, and never once closed
            }
        }
    }

    private void freeMemory() {
        LibC.free(ctlEvent);
        LibC.free(events);
        LibC.free(buffer);
    }

    /**
     * One buffer per wakeup while the writer is alive (epoll is level-triggered and will report the rest);
     * after a hangup, everything left, then the end of file.
     */
    private void serve(int fd, int mask) {
        Watch watch = watches.get(fd);
        if (watch == null) {
            return; // cannot happen: only this thread removes watches, and it deregisters them first
        }
        boolean hungUp = (mask & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)) != 0;
        while (true) {
            long got = LibC.read(fd, buffer, BUFFER_SIZE);
            if (got > 0) {
                MEMORY.getByteArray(buffer, lent, 0, (int) got);
                watch.data(fd, lent, (int) got);
                if (!hungUp) {
                    return;
                }
            } else if (got == 0) {
                finish(fd);
                return;
            } else {
                int errno = LibC.errno();
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (errno != Errno.EAGAIN) {
                    // EIO from a tty whose other side went away, for instance: treat as the end.
                    System.err.println("jinit-output: " + posix.failure("read", Integer.toString(fd), errno).getMessage());
                    finish(fd);
                }
                return;
            }
        }
    }

    /**
     * Forgets, deregisters and closes {@code fd}, then tells the sink. In that order, the number can be reused
     * (and watched again by another thread) only once nothing here refers to it any more.
     */
    private void finish(int fd) {
        Watch watch = watches.remove(fd);
        LibC.epoll_ctl(epollFd, EPOLL_CTL_DEL, fd, 0);
        LibC.close(fd);
        if (watch != null) {
            watch.closed(fd);
        }
    }

    /** A sink and whether it has thrown yet, so a sink that always throws is reported once, not per read. */
    private static final class Watch {
        private final Sink sink;
        private boolean complained;

        Watch(Sink sink) {
            this.sink = sink;
        }

        void data(int fd, byte[] bytes, int length) {
            try {
                sink.data(bytes, 0, length);
            } catch (Throwable t) {
                complain(fd, "data", t);
            }
        }

        void closed(int fd) {
            try {
                sink.closed();
            } catch (Throwable t) {
                complain(fd, "closed", t);
            }
        }

        private void complain(int fd, String method, Throwable t) {
            if (complained) return;
            complained = true;
            try {
                System.err.println("jinit-output: the sink of fd " + fd + " threw from " + method + "(): " + t
                        + " (reported once; the pump carries on)");
            } catch (Throwable unsaid) {
                // Out of memory for the message too: the pump carrying on matters more than the line.
            }
        }
    }

    /**
     * struct epoll_event is {u32 events; u64 data}. x86_64's glibc declares it packed (12 bytes, data at 4);
     * every other architecture, aarch64 included, aligns data naturally (16 bytes, data at 8).
     */
    record EpollEventLayout(int size, int dataOffset) {
        static EpollEventLayout forArch(String osArch) {
            return switch (osArch) {
                case "amd64", "x86_64" -> new EpollEventLayout(12, 4);
                default -> new EpollEventLayout(16, 8);
            };
        }

        /** Fills in the epoll_event at address {@code event}. */
        void write(long event, int mask, long data) {
            MEMORY.putInt(event, mask);
            MEMORY.putLong(event + dataOffset, data);
        }

        /** The events of entry {@code i} of the epoll_event array at address {@code array}. */
        int events(long array, int i) {
            return MEMORY.getInt(array + (long) i * size);
        }

        long data(long array, int i) {
            return MEMORY.getLong(array + (long) i * size + dataOffset);
        }
    }
}
