package org.ashmemd.sys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.LibraryLoader;

/**
 * The systemd notification protocol: one datagram of "KEY=VALUE" lines to the socket named by
 * $NOTIFY_SOCKET (a path, or an abstract name starting with '@'). A no-op when it is unset.
 */
public final class SdNotify {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int MSG_NOSIGNAL = 0x4000;

    /** The two socket calls this needs, kept apart from LibC because of their struct argument. */
    public interface SocketCalls {
        int socket(int domain, int type, int protocol);

        long sendto(int fd, @In Pointer buf, long len, int flags, @In byte[] addr, int addrlen);

        int connect(int fd, @In byte[] addr, int addrlen);
    }

    private static final SocketCalls CALLS = LibraryLoader.create(SocketCalls.class).load("c");

    private final String socketName;

    public SdNotify(String socketName) {
        this.socketName = socketName == null || socketName.isEmpty() ? null : socketName;
    }

    public static SdNotify fromEnvironment() {
        return new SdNotify(System.getenv("NOTIFY_SOCKET"));
    }

    /**
     * The watchdog interval systemd asks for ({@code WatchdogSec=}), as {@code sd_watchdog_enabled}
     * reads it: {@code $WATCHDOG_USEC}, a positive number of microseconds, meant for this process
     * unless {@code $WATCHDOG_PID} names another one (it is inherited by children that are not
     * the service's main process). Empty when there is no watchdog for us; a malformed value
     * counts as none.
     */
    public static Optional<Duration> watchdogInterval(Map<String, String> env, long ownPid) {
        String usec = env.get("WATCHDOG_USEC");
        if (usec == null || usec.isEmpty()) {
            return Optional.empty();
        }
        String pid = env.get("WATCHDOG_PID");
        try {
            if (pid != null && !pid.isEmpty() && Long.parseLong(pid) != ownPid) {
                return Optional.empty();
            }
            long micros = Long.parseUnsignedLong(usec);
            return micros <= 0 ? Optional.empty() : Optional.of(Duration.ofNanos(Math.multiplyExact(micros, 1000L)));
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    /** Tells systemd the service is alive: one watchdog keep-alive ping. */
    public boolean watchdogPing() {
        return notify("WATCHDOG=1");
    }

    public boolean enabled() {
        return socketName != null;
    }

    /**
     * Sends the state lines with {@code fd} attached (SCM_RIGHTS), as {@code sd_pid_notify_with_fds}
     * does for {@code FDSTORE=1}; waits while the manager's queue is full.
     *
     * @throws ErrnoException when there is no notify socket or the message was not sent
     */
    public void notifyWithFd(String state, int fd) throws org.ashmemd.posix.ErrnoException {
        byte[] addr = address();
        if (addr == null) {
            throw new org.ashmemd.posix.ErrnoException(org.ashmemd.posix.Errno.ENOENT, "no usable $NOTIFY_SOCKET");
        }
        int s = CALLS.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            throw Native.lastError("socket");
        }
        try {
            if (CALLS.connect(s, addr, addr.length) != 0) {
                throw Native.lastError("connect to " + socketName);
            }
            byte[] msg = state.getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf = ByteBuffer.allocateDirect(msg.length);
            buf.put(msg).flip();
            FdPassing.sendWaiting(s, buf, fd);
        } finally {
            Native.LIBC.close(s);
        }
    }

    /** The socket address of $NOTIFY_SOCKET as struct sockaddr_un bytes, or null. */
    private byte[] address() {
        if (socketName == null) {
            return null;
        }
        byte[] path = socketName.getBytes(StandardCharsets.UTF_8);
        if (path[0] == '@') {
            path[0] = 0; // abstract namespace
        }
        if (path.length > 107) {
            return null;
        }
        byte[] addr = new byte[2 + path.length + (path[0] == 0 ? 0 : 1)];
        addr[0] = (byte) AF_UNIX; // sa_family_t, little-endian on every host this runs on
        System.arraycopy(path, 0, addr, 2, path.length);
        return addr;
    }

    /** Sends the state lines; returns false (and changes nothing) when it could not. */
    public boolean notify(String state) {
        byte[] addr = address();
        if (addr == null) {
            return false;
        }
        int fd = CALLS.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        try {
            byte[] msg = state.getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf = ByteBuffer.allocateDirect(msg.length);
            buf.put(msg).flip();
            return CALLS.sendto(fd, Native.pointer(buf), msg.length, MSG_NOSIGNAL, addr, addr.length) == msg.length;
        } finally {
            Native.LIBC.close(fd);
        }
    }
}
