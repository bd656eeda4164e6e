package org.ashmemd.sys;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Unix sockets: stream connections accepted with the peer's credentials, in as few system calls
 * as the kernel allows (accept4(2) with close-on-exec set atomically, then one getsockopt(2) for
 * SO_PEERCRED; the scratch memory is per thread, and each listener has one thread), and
 * connected datagram pairs.
 */
public final class UnixSockets {
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOCK_NONBLOCK = 04000;
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final int SO_SNDBUF = 7;
    private static final int UCRED_SIZE = 12; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }

    private static final ThreadLocal<Pointer> SCRATCH =
            ThreadLocal.withInitial(() -> Memory.allocateDirect(Native.RUNTIME, UCRED_SIZE + 4));

    /** Who is at the other end, as the kernel recorded it at connect. */
    public record Credentials(int pid, int uid, int gid) {
    }

    private UnixSockets() {
    }

    /** A pending connection of listening socket {@code serverFd} (non-blocking, close-on-exec), or -errno. */
    public static int accept(int serverFd) {
        int fd = Native.LIBC.accept4(serverFd, null, null, SOCK_CLOEXEC | SOCK_NONBLOCK);
        return fd >= 0 ? fd : -LibC.errno();
    }

    /**
     * A connected pair of Unix datagram sockets, non-blocking and close-on-exec: what the first
     * end sends waits in the second's queue, descriptors attached included, until it is
     * received. The queue is bounded by the sender's buffer, set as large as the kernel allows
     * without privilege (net.core.wmem_max).
     */
    public static int[] datagramPair() throws org.ashmemd.posix.ErrnoException {
        int[] pair = new int[2];
        if (Native.LIBC.socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0) {
            throw Native.lastError("socketpair");
        }
        Native.LIBC.setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, new int[] {Integer.MAX_VALUE}, 4); // clamped, never refused
        return pair;
    }

    /** read(2) of up to {@code max} bytes into {@code into} from index 0: the count (0 at the end), or -errno. */
    public static int read(int fd, IoBuffer into, int max) {
        long n = Native.LIBC.read(fd, into.base, Math.min(max, into.capacity()));
        return n >= 0 ? (int) n : -LibC.errno();
    }

    /** The peer's pid, uid and gid (SO_PEERCRED), or null when the kernel gives none. */
    public static Credentials peerCredentials(int fd) {
        Pointer p = SCRATCH.get();
        p.putInt(UCRED_SIZE, UCRED_SIZE);
        if (Native.LIBC.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, p, p.slice(UCRED_SIZE)) != 0
                || p.getInt(UCRED_SIZE) < UCRED_SIZE) {
            return null;
        }
        return new Credentials(p.getInt(0), p.getInt(4), p.getInt(8));
    }

    /** close(2) of a connection (epoll forgets it with its file). */
    public static void close(int fd) {
        Native.LIBC.close(fd);
    }
}
