package org.ashmemd.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.posix.CmsgHdr;
import jnr.posix.MsgHdr;
import org.ashmemd.posix.ErrnoException;

/** Sending and receiving file descriptors over Unix sockets (SCM_RIGHTS). */
public final class FdPassing {
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EAGAIN = 11;
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

    /**
     * Sends the first {@code length} bytes of {@code data} with {@code fd} attached (none when
     * negative), without blocking and without SIGPIPE: the bytes sent, or -errno.
     */
    public static int send(int socket, IoBuffer data, int length, int fd) {
        int n = SEND_SCRATCH.get().send(socket, data.base.address(), length, fd, MSG_NOSIGNAL | MSG_DONTWAIT);
        return n >= 0 ? n : -LibC.errno();
    }

    /** As {@link #send(int, ByteBuffer, int)}, but waits while the peer's queue is full. */
    public static int sendWaiting(int socket, ByteBuffer data, int fd) throws ErrnoException {
        return send(socket, data, fd, 0);
    }

    private static int send(int socket, ByteBuffer data, int fd, int extraFlags) throws ErrnoException {
        int n = SEND_SCRATCH.get().send(socket, Native.pointer(data).address(), data.remaining(), fd,
                MSG_NOSIGNAL | extraFlags);
        if (n < 0) {
            throw Native.lastError("sendmsg");
        }
        data.position(data.position() + n);
        return n;
    }

    /** The most descriptors one message carries (the kernel's SCM_MAX_FD). */
    public static final int MAX_FDS = 253;

    /**
     * Sends the remaining bytes of {@code data} (a direct buffer) with all of {@code fds}
     * attached (at most {@link #MAX_FDS}), without blocking: false when the peer's queue is full.
     */
    public static boolean sendAll(int socket, ByteBuffer data, int[] fds) throws ErrnoException {
        if (fds.length == 0 || fds.length > MAX_FDS) {
            throw new IllegalArgumentException(fds.length + " descriptors in one message");
        }
        SendScratch scratch = SEND_SCRATCH.get();
        for (int i = 0; i < fds.length; i++) {
            scratch.attach(i, fds[i]);
        }
        if (scratch.sendAttached(socket, Native.pointer(data).address(), data.remaining(), fds.length,
                MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            if (LibC.errno() == EAGAIN) {
                return false;
            }
            throw Native.lastError("sendmsg");
        }
        data.position(data.limit());
        return true;
    }

    private static final ThreadLocal<SendScratch> SEND_SCRATCH = ThreadLocal.withInitial(SendScratch::new);

    /**
     * One thread's struct msghdr, iovec and SCM_RIGHTS control message (room for {@link
     * #MAX_FDS} descriptors), laid out once in native memory and filled in per message: the
     * broker sends one per mapping, and building them as objects each time cost more than the
     * system call.
     */
    private static final class SendScratch {
        private static final int P = Native.RUNTIME.addressSize(); // pointers and size_t
        // struct msghdr { name; namelen; iov; iovlen; control; controllen; flags }: one word each
        private static final int MSG_IOV = 2 * P;
        private static final int MSG_IOVLEN = 3 * P;
        private static final int MSG_CONTROL = 4 * P;
        private static final int MSG_CONTROLLEN = 5 * P;
        private static final int MSG_SIZE = 7 * P;
        private static final int IOV_SIZE = 2 * P; // struct iovec { base; len }
        // struct cmsghdr { size_t len; int level; int type; } then the data, word-aligned
        private static final int CMSG_DATA = (P + 8 + P - 1) / P * P;

        private final Pointer mem = Memory.allocateDirect(Native.RUNTIME, MSG_SIZE + IOV_SIZE + space(MAX_FDS), true);
        private final Pointer iov = mem.slice(MSG_SIZE);
        private final Pointer cmsg = mem.slice(MSG_SIZE + IOV_SIZE);

        SendScratch() {
            mem.putAddress(MSG_IOV, iov.address());
            mem.putAddress(MSG_IOVLEN, 1);
            cmsg.putInt(P, SOL_SOCKET);
            cmsg.putInt(P + 4, SCM_RIGHTS);
        }

        /** CMSG_SPACE of {@code fds} descriptors: the header and the data, word-aligned. */
        private static int space(int fds) {
            return CMSG_DATA + (4 * fds + P - 1) / P * P;
        }

        /** Puts {@code fd} at {@code index} of the control message's descriptors. */
        void attach(int index, int fd) {
            cmsg.putInt(CMSG_DATA + 4L * index, fd);
        }

        /** sendmsg(2) of {@code length} bytes at {@code address}, with fd attached unless negative: the count or -1. */
        int send(int socket, long address, int length, int fd, int flags) {
            if (fd >= 0) {
                attach(0, fd);
                return sendAttached(socket, address, length, 1, flags);
            }
            iov.putAddress(0, address);
            iov.putAddress(P, length);
            mem.putAddress(MSG_CONTROL, 0);
            mem.putAddress(MSG_CONTROLLEN, 0);
            return (int) Native.LIBC.sendmsg(socket, mem, flags);
        }

        /** sendmsg(2) with the first {@code count} descriptors {@link #attach}ed: the count or -1. */
        int sendAttached(int socket, long address, int length, int count, int flags) {
            iov.putAddress(0, address);
            iov.putAddress(P, length);
            cmsg.putAddress(0, CMSG_DATA + 4L * count);
            mem.putAddress(MSG_CONTROL, cmsg.address());
            mem.putAddress(MSG_CONTROLLEN, space(count));
            return (int) Native.LIBC.sendmsg(socket, mem, flags);
        }
    }

    /** What {@link #receive} got: the bytes read and the descriptors that came with them. */
    public record Received(int bytes, int[] fds, boolean controlTruncated) {
    }

    /**
     * Receives into {@code data} (a direct buffer), taking up to {@code maxFds} descriptors,
     * close-on-exec. Blocks unless the socket is non-blocking.
     */
    public static Received receive(int socket, ByteBuffer data, int maxFds) throws ErrnoException {
        return receive(socket, data, maxFds, 0);
    }

    /** As {@link #receive}, but never waits: null when nothing is queued. */
    public static Received receiveNow(int socket, ByteBuffer data, int maxFds) throws ErrnoException {
        return receive(socket, data, maxFds, MSG_DONTWAIT);
    }

    private static Received receive(int socket, ByteBuffer data, int maxFds, int flags) throws ErrnoException {
        MsgHdr msg = Native.POSIX.allocateMsgHdr();
        msg.setIov(new ByteBuffer[] {data});
        msg.allocateControl(4 * Math.max(1, maxFds));
        int n = Native.POSIX.recvmsg(socket, msg, MSG_CMSG_CLOEXEC | flags);
        if (n < 0) {
            if ((flags & MSG_DONTWAIT) != 0 && LibC.errno() == EAGAIN) {
                return null;
            }
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
