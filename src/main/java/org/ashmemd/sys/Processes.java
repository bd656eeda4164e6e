package org.ashmemd.sys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.posix.SpawnFileAction;
import org.ashmemd.posix.ErrnoException;

/**
 * Child processes with descriptors at fixed numbers (posix_spawn with dup2 file actions, as a
 * service manager passes $LISTEN_FDS), and the datagram socket a supervisor receives a child's
 * notifications on.
 */
public final class Processes {
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int WNOHANG = 1;
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;

    /** The socket calls kept apart from LibC because of their struct argument. */
    public interface SocketCalls {
        int socket(int domain, int type, int protocol);

        int bind(int fd, @In byte[] addr, int addrlen);
    }

    private static final SocketCalls CALLS = LibraryLoader.create(SocketCalls.class).load("c");

    private Processes() {
    }

    /**
     * Starts {@code argv} with {@code env}, giving it {@code fds} as descriptors 3, 4, ... (in
     * order); the child gets nothing else from this process but what is not close-on-exec.
     * Returns the child's pid.
     */
    public static long spawn(List<String> argv, List<String> env, List<Integer> fds) throws ErrnoException {
        int first = 3;
        int n = fds.size();
        // Copies above the target range first: a dup2 onto itself would keep close-on-exec, and
        // a target may be another source's number.
        List<Integer> temps = new ArrayList<>(n);
        try {
            for (int fd : fds) {
                int t = Native.LIBC.fcntl(fd, F_DUPFD_CLOEXEC, first + n);
                if (t < 0) {
                    throw Native.lastError("F_DUPFD_CLOEXEC of fd " + fd);
                }
                temps.add(t);
            }
            List<SpawnFileAction> actions = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                actions.add(SpawnFileAction.dup(temps.get(i), first + i));
            }
            long pid = Native.POSIX.posix_spawnp(argv.get(0), actions, argv, env);
            if (pid <= 0) {
                throw Native.lastError("posix_spawn of " + argv.get(0));
            }
            return pid;
        } finally {
            temps.forEach(Native.LIBC::close);
        }
    }

    /** The child's wait status once it has ended, or -1 while it runs. */
    public static int exited(long pid) {
        int[] status = new int[1];
        int r = Native.POSIX.waitpid(pid, status, WNOHANG);
        return r == pid ? status[0] : -1;
    }

    public static void signal(long pid, int sig) {
        Native.POSIX.kill(pid, sig);
    }

    /** A non-blocking datagram socket bound at {@code path} (which must not exist), mode 0600. */
    public static int bindDatagram(String path) throws ErrnoException {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length > 107) {
            throw new ErrnoException(org.ashmemd.posix.Errno.EINVAL, "socket path too long: " + path);
        }
        byte[] addr = new byte[2 + p.length + 1];
        addr[0] = (byte) AF_UNIX;
        System.arraycopy(p, 0, addr, 2, p.length);
        int s = CALLS.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | LibC.O_NONBLOCK, 0);
        if (s < 0) {
            throw Native.lastError("socket");
        }
        if (CALLS.bind(s, addr, addr.length) != 0) {
            ErrnoException e = Native.lastError("bind " + path);
            Native.LIBC.close(s);
            throw e;
        }
        return s;
    }

    /** Waits up to {@code millis} for {@code fd} to become readable. */
    public static boolean awaitReadable(int fd, int millis) {
        PressureFiles.PollSet set = new PressureFiles.PollSet(1);
        set.set(0, fd, LibC.POLLIN);
        return set.poll(1, millis) > 0;
    }

    /** A direct buffer for {@link FdPassing#receive}. */
    public static ByteBuffer directBuffer(int bytes) {
        return ByteBuffer.allocateDirect(bytes);
    }
}
