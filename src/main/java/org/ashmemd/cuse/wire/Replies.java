package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Whole reply frames. Each method writes one frame at the buffer's position, leaves the position
 * after it and returns its length, which is also the header's {@code len}: the kernel only
 * accepts a frame written with exactly one write() of exactly that length.
 */
public final class Replies {
    /** An error reply is the header alone; anything after it makes the kernel fail the caller with EIO. */
    public static final int ERROR_SIZE = OutHeader.SIZE;

    private Replies() {
    }

    /** Header with {@code -errno}; errno must be in 1…511, the range the kernel accepts. */
    public static int error(ByteBuffer dst, long unique, int errno) {
        if (errno <= 0 || errno > FuseProtocol.MAX_ERRNO) {
            throw new IllegalArgumentException("errno out of the kernel's range: " + errno);
        }
        OutHeader.encode(dst, ERROR_SIZE, -errno, unique);
        return ERROR_SIZE;
    }

    /** Success with no body (RELEASE). */
    public static int empty(ByteBuffer dst, long unique) {
        OutHeader.encode(dst, OutHeader.SIZE, 0, unique);
        return OutHeader.SIZE;
    }

    public static int cuseInit(ByteBuffer dst, long unique, CuseInitOut out, byte[] devInfo) {
        if (devInfo.length > FuseProtocol.CUSE_INIT_INFO_MAX) {
            throw new IllegalArgumentException("device info longer than " + FuseProtocol.CUSE_INIT_INFO_MAX);
        }
        int len = OutHeader.SIZE + CuseInitOut.SIZE + devInfo.length;
        NativeBytes.requireRoom(dst, len);
        OutHeader.encode(dst, len, 0, unique);
        out.encode(dst);
        dst.put(devInfo);
        return len;
    }

    public static int open(ByteBuffer dst, long unique, long fh) {
        int len = OutHeader.SIZE + OpenOut.SIZE;
        NativeBytes.requireRoom(dst, len);
        OutHeader.encode(dst, len, 0, unique);
        new OpenOut(fh, 0, 0).encode(dst);
        return len;
    }

    /**
     * READ reply whose {@code dataLength} bytes are already in place right after the header
     * slot; writes the header and moves the position past the data.
     */
    public static int read(ByteBuffer dst, long unique, int dataLength) {
        int len = OutHeader.SIZE + dataLength;
        NativeBytes.requireRoom(dst, len);
        int start = dst.position();
        OutHeader.encode(dst, len, 0, unique);
        dst.position(start + len);
        return len;
    }

    public static int write(ByteBuffer dst, long unique, long accepted) {
        int len = OutHeader.SIZE + WriteOut.SIZE;
        NativeBytes.requireRoom(dst, len);
        OutHeader.encode(dst, len, 0, unique);
        new WriteOut(accepted).encode(dst);
        return len;
    }

    public static int poll(ByteBuffer dst, long unique, int revents) {
        int len = OutHeader.SIZE + PollOut.SIZE;
        NativeBytes.requireRoom(dst, len);
        OutHeader.encode(dst, len, 0, unique);
        new PollOut(revents).encode(dst);
        return len;
    }

    /** A finished ioctl: its result and the output bytes to scatter over the out iovecs. */
    public static int ioctl(ByteBuffer dst, long unique, int result, byte[] out) {
        int len = OutHeader.SIZE + IoctlOut.SIZE + out.length;
        NativeBytes.requireRoom(dst, len);
        OutHeader.encode(dst, len, 0, unique);
        new IoctlOut(result, 0, 0, 0).encode(dst);
        dst.put(out);
        return len;
    }

    /**
     * An ioctl RETRY: the in iovecs, then the out iovecs, as {@code fuse_ioctl_iovec}s. Limits
     * (count, sizes) are the caller's to check.
     */
    public static <T> int ioctlRetry(ByteBuffer dst, long unique, List<T> in, List<T> out,
                                     ToLongFunction<? super T> base, ToLongFunction<? super T> length) {
        int len = OutHeader.SIZE + IoctlOut.SIZE + (in.size() + out.size()) * RetryIovec.SIZE;
        NativeBytes.requireRoom(dst, len);
        OutHeader.encode(dst, len, 0, unique);
        new IoctlOut(0, FuseProtocol.IOCTL_RETRY, in.size(), out.size()).encode(dst);
        for (T v : in) {
            RetryIovec.encode(dst, base.applyAsLong(v), length.applyAsLong(v));
        }
        for (T v : out) {
            RetryIovec.encode(dst, base.applyAsLong(v), length.applyAsLong(v));
        }
        return len;
    }
}
