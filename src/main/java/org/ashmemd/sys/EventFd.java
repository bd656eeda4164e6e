package org.ashmemd.sys;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.ashmemd.posix.ErrnoException;

/**
 * eventfd(2) as a wake-up: a thread waiting in poll or epoll on it is woken by {@link #signal}
 * from any other thread (the CUSE readers' and listeners' stop, the pressure monitor's wake).
 */
public final class EventFd {
    private static final LibC LIBC = LibC.INSTANCE;

    private EventFd() {
    }

    /** A new eventfd, non-blocking and close-on-exec, not readable. */
    public static int create() throws ErrnoException {
        int fd = LIBC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (fd < 0) {
            throw Native.lastError("eventfd");
        }
        return fd;
    }

    /** Adds 1 to the counter, making the eventfd readable. */
    public static void signal(int eventFd) {
        Pointer one = Memory.allocateDirect(LibC.runtime(), 8);
        one.putLong(0, 1);
        LIBC.write(eventFd, one, 8); // EAGAIN only when the counter is saturated: still readable
    }

    /** Resets the eventfd to not readable, reading into {@code scratch}. */
    public static void drain(int eventFd, Scratch scratch) {
        LIBC.read(eventFd, scratch.counter, 8);
    }

    /** Room for the counter a drain reads, reused by one thread. */
    public static final class Scratch {
        private final Pointer counter = Memory.allocateDirect(LibC.runtime(), 8);
    }
}
