package org.ashmemd.sys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
    }

    private static final SocketCalls CALLS = LibraryLoader.create(SocketCalls.class).load("c");

    private final String socketName;

    public SdNotify(String socketName) {
        this.socketName = socketName == null || socketName.isEmpty() ? null : socketName;
    }

    public static SdNotify fromEnvironment() {
        return new SdNotify(System.getenv("NOTIFY_SOCKET"));
    }

    public boolean enabled() {
        return socketName != null;
    }

    /** Sends the state lines; returns false (and changes nothing) when it could not. */
    public boolean notify(String state) {
        if (socketName == null) {
            return false;
        }
        byte[] path = socketName.getBytes(StandardCharsets.UTF_8);
        if (path[0] == '@') {
            path[0] = 0; // abstract namespace
        }
        if (path.length > 107) {
            return false;
        }
        byte[] addr = new byte[2 + path.length + (path[0] == 0 ? 0 : 1)];
        addr[0] = (byte) AF_UNIX; // sa_family_t, little-endian on every host this runs on
        System.arraycopy(path, 0, addr, 2, path.length);
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
