package org.ashmemd.sys;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.ashmemd.posix.ErrnoException;

/**
 * An epoll(7) instance, waited on by one thread. Each descriptor is added with a 64-bit tag,
 * and a wait reports the tags of the ready ones from native memory laid out once, so a wait
 * allocates nothing. Level-triggered: what is not consumed is reported again.
 */
public final class Epoll implements AutoCloseable {
    public static final int IN = LibC.EPOLLIN;
    /** Wake only one of the instances that watch the same file (Linux 4.5). */
    public static final int EXCLUSIVE = LibC.EPOLLEXCLUSIVE;
    // struct epoll_event { uint32_t events; epoll_data_t data; }, packed on x86-64 only
    private static final boolean PACKED = "amd64".equals(System.getProperty("os.arch"))
            || "x86_64".equals(System.getProperty("os.arch"));
    private static final int DATA_OFFSET = PACKED ? 4 : 8;
    private static final int EVENT_SIZE = PACKED ? 12 : 16;
    private static final int EPOLL_CTL_DEL = 2;

    private final int epfd;
    private final int capacity;
    private final Pointer events;
    private final Pointer change = Memory.allocateDirect(Native.RUNTIME, EVENT_SIZE);

    /** An instance whose waits report up to {@code capacity} ready descriptors each. */
    public Epoll(int capacity) throws ErrnoException {
        epfd = Native.LIBC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (epfd < 0) {
            throw Native.lastError("epoll_create1");
        }
        this.capacity = capacity;
        this.events = Memory.allocateDirect(Native.RUNTIME, capacity * EVENT_SIZE);
    }

    /**
     * Watches {@code fd} for {@code eventMask} ({@link #IN}, {@link #EXCLUSIVE}), reported with
     * {@code tag}: 0, or -errno (EPERM for a file that is always ready, such as a regular file;
     * EINVAL for a flag this kernel does not know). Only from the waiting thread.
     */
    public int add(int fd, int eventMask, long tag) {
        change.putInt(0, eventMask);
        change.putLong(DATA_OFFSET, tag);
        return Native.LIBC.epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, fd, change) == 0 ? 0 : -LibC.errno();
    }

    /** Stops watching {@code fd}. A descriptor closed without this leaves on its own once no other refers to its file. */
    public void remove(int fd) {
        Native.LIBC.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, change);
    }

    /** Waits up to {@code timeoutMillis} (-1: no limit): the number of ready descriptors, or -errno (EINTR among them). */
    public int await(int timeoutMillis) {
        int n = Native.LIBC.epoll_wait(epfd, events, capacity, timeoutMillis);
        return n >= 0 ? n : -LibC.errno();
    }

    /** The tag of the {@code i}th ready descriptor of the last {@link #await}. */
    public long tag(int i) {
        return events.getLong((long) i * EVENT_SIZE + DATA_OFFSET);
    }

    /** Closes the instance (the watched descriptors stay open). */
    @Override
    public void close() {
        Native.LIBC.close(epfd);
    }
}
