package org.ashmemd.sys;

/** Flags of plain file descriptors. */
public final class Descriptors {
    private static final int F_GETFD = 1;
    private static final int F_SETFD = 2;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int FD_CLOEXEC = 1;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private Descriptors() {
    }

    /** Whether {@code fd} is an open descriptor of this process. */
    public static boolean isOpen(int fd) {
        return Native.LIBC.fcntl(fd, F_GETFD, 0) >= 0;
    }

    /** Sets close-on-exec on an inherited descriptor (a store hands them over without it). */
    public static void setCloseOnExec(int fd) {
        int flags = Native.LIBC.fcntl(fd, F_GETFD, 0);
        if (flags >= 0 && (flags & FD_CLOEXEC) == 0) {
            Native.LIBC.fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
    }

    /** Sets O_NONBLOCK on the open file description; false when fcntl failed. */
    public static boolean setNonBlocking(int fd) {
        int flags = Native.LIBC.fcntl(fd, F_GETFL, 0);
        return flags >= 0 && ((flags & LibC.O_NONBLOCK) != 0 || Native.LIBC.fcntl(fd, F_SETFL, flags | LibC.O_NONBLOCK) == 0);
    }

    /** Clears O_NONBLOCK on the open file description; false when fcntl failed. */
    public static boolean setBlocking(int fd) {
        int flags = Native.LIBC.fcntl(fd, F_GETFL, 0);
        return flags >= 0 && ((flags & LibC.O_NONBLOCK) == 0 || Native.LIBC.fcntl(fd, F_SETFL, flags & ~LibC.O_NONBLOCK) == 0);
    }

    /** A new descriptor of the same open file, close-on-exec. */
    public static int duplicate(int fd) throws org.ashmemd.posix.ErrnoException {
        int copy = Native.LIBC.fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) {
            throw Native.lastError("fcntl(F_DUPFD_CLOEXEC)");
        }
        return copy;
    }

    public static void close(int fd) {
        if (fd >= 0) {
            Native.LIBC.close(fd);
        }
    }
}
