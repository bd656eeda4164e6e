package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_ioctl_iovec}, 16 bytes: a range of the caller's memory in a RETRY reply.
 * The same layout serves 32-bit callers (their values must then fit in 32 bits).
 *
 * @param base   address in the caller's address space (u64)
 * @param length byte count (u64)
 */
public record RetryIovec(long base, long length) {
    public static final int SIZE = 16;

    public static RetryIovec decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new RetryIovec(NativeBytes.getLong(b), NativeBytes.getLong(b));
    }

    public void encode(ByteBuffer b) {
        encode(b, base, length);
    }

    static void encode(ByteBuffer b, long base, long length) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putLong(b, base);
        NativeBytes.putLong(b, length);
    }
}
