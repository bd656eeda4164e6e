package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_open_out}, 16 bytes.
 *
 * @param fh        the handle the kernel echoes in every later request of this open file
 * @param openFlags FOPEN_* bits; none has an effect on CUSE, so 0
 * @param backingId passthrough id since 7.40 (padding before); 0 for CUSE
 */
public record OpenOut(long fh, int openFlags, int backingId) {
    public static final int SIZE = 16;

    public static OpenOut decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new OpenOut(NativeBytes.getLong(b), NativeBytes.getInt(b), NativeBytes.getInt(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putLong(b, fh);
        NativeBytes.putInt(b, openFlags);
        NativeBytes.putInt(b, backingId);
    }
}
