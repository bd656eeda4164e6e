package org.ashmemd.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.posix.CmsgHdr;
import jnr.posix.MsgHdr;
import org.ashmemd.posix.ErrnoException;

/** Sending and receiving file descriptors over Unix sockets (SCM_RIGHTS). */
public final class FdPassing {
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;

    private FdPassing() {
    }

    /**
     * Sends the remaining bytes of {@code data} (a direct buffer) with {@code fd} attached, without
     * blocking and without SIGPIPE. Returns the bytes sent.
     */
    public static int send(int socket, ByteBuffer data, int fd) throws ErrnoException {
        return send(socket, data, fd, MSG_DONTWAIT);
    }

    /** As {@link #send(int, ByteBuffer, int)}, but waits while the peer's queue is full. */
    public static int sendWaiting(int socket, ByteBuffer data, int fd) throws ErrnoException {
        return send(socket, data, fd, 0);
    }

    private static int send(int socket, ByteBuffer data, int fd, int extraFlags) throws ErrnoException {
        MsgHdr msg = Native.POSIX.allocateMsgHdr();
        msg.setIov(new ByteBuffer[] {data});
        if (fd >= 0) {
            CmsgHdr cmsg = msg.allocateControl(4);
            cmsg.setLevel(SOL_SOCKET);
            cmsg.setType(SCM_RIGHTS);
            ByteBuffer fdBytes = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
            fdBytes.putInt(0, fd);
            cmsg.setData(fdBytes);
        }
        int n = Native.POSIX.sendmsg(socket, msg, MSG_NOSIGNAL | extraFlags);
        if (n < 0) {
            throw Native.lastError("sendmsg");
        }
        data.position(data.position() + n);
        return n;
    }

    /** What {@link #receive} got: the bytes read and the descriptors that came with them. */
    public record Received(int bytes, int[] fds, boolean controlTruncated) {
    }

    /**
     * Receives into {@code data} (a direct buffer), taking up to {@code maxFds} descriptors,
     * close-on-exec. Blocks unless the socket is non-blocking.
     */
    public static Received receive(int socket, ByteBuffer data, int maxFds) throws ErrnoException {
        MsgHdr msg = Native.POSIX.allocateMsgHdr();
        msg.setIov(new ByteBuffer[] {data});
        msg.allocateControl(4 * Math.max(1, maxFds));
        int n = Native.POSIX.recvmsg(socket, msg, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            throw Native.lastError("recvmsg");
        }
        data.position(data.position() + n);
        int count = 0;
        int[] fds = new int[0];
        for (CmsgHdr c : msg.getControls()) {
            if (c.getLevel() == SOL_SOCKET && c.getType() == SCM_RIGHTS) {
                ByteBuffer d = c.getData().order(ByteOrder.nativeOrder());
                int[] more = new int[fds.length + d.remaining() / 4];
                System.arraycopy(fds, 0, more, 0, fds.length);
                for (int i = fds.length; i < more.length; i++) {
                    more[i] = d.getInt();
                }
                fds = more;
                count = fds.length;
            }
        }
        return new Received(n, count == fds.length ? fds : java.util.Arrays.copyOf(fds, count),
                (msg.getFlags() & MSG_CTRUNC) != 0);
    }
}
