package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_out_header}, 16 bytes at the start of every reply.
 *
 * @param len    bytes of the whole reply; the kernel rejects a write of any other length
 * @param error  0 or a negative errno in −511…−1
 * @param unique the request's id, bit for bit
 */
public record OutHeader(int len, int error, long unique) {
    public static final int SIZE = 16;

    public static OutHeader decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new OutHeader(NativeBytes.getInt(b), NativeBytes.getInt(b), NativeBytes.getLong(b));
    }

    public void encode(ByteBuffer b) {
        encode(b, len, error, unique);
    }

    static void encode(ByteBuffer b, int len, int error, long unique) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putInt(b, len);
        NativeBytes.putInt(b, error);
        NativeBytes.putLong(b, unique);
    }
}
