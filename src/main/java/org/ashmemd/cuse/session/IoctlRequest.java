package org.ashmemd.cuse.session;

import java.nio.ByteBuffer;

/**
 * One round of an ioctl as the kernel sent it. The first round of every ioctl carries no data;
 * after a {@link IoctlReply.Retry} the kernel sends a new round with the same fh, flags, cmd and
 * arg, the requested input bytes in {@link #in()} and room for {@link #outSize()} output bytes.
 *
 * @param fh      the handle returned by {@link CharDevice#open}
 * @param flags   FUSE_IOCTL_* request flags (see {@link #compat()} and {@link #is32bit()})
 * @param cmd     the ioctl number exactly as the caller passed it
 * @param arg     the raw argument: a value or an address in the caller's memory; zero-extended
 *                for 32-bit callers
 * @param in      the caller's bytes gathered from the in iovecs of the previous round, read-only,
 *                positioned at 0 (empty in a first round)
 * @param outSize how many output bytes the kernel accepts in the final reply
 */
public record IoctlRequest(long fh, int flags, int cmd, long arg, ByteBuffer in, int outSize) {
    public static final int FLAG_COMPAT = 1;
    public static final int FLAG_UNRESTRICTED = 1 << 1;
    public static final int FLAG_RETRY = 1 << 2;
    public static final int FLAG_32BIT = 1 << 3;
    public static final int FLAG_DIR = 1 << 4;
    public static final int FLAG_COMPAT_X32 = 1 << 5;

    /** Came through compat_ioctl: a 32-bit (or x32) process on a 64-bit kernel. */
    public boolean compat() {
        return (flags & FLAG_COMPAT) != 0;
    }

    /** The caller's pointers and longs are 32 bits wide. */
    public boolean is32bit() {
        return (flags & FLAG_32BIT) != 0;
    }

    /** Number of caller bytes carried in this round. */
    public int inSize() {
        return in.remaining();
    }
}
