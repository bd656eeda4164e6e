package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/** {@code struct fuse_write_out}, 8 bytes: {@code size} = bytes accepted (u32). */
public record WriteOut(long size) {
    public static final int SIZE = 8;

    public static WriteOut decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        WriteOut out = new WriteOut(NativeBytes.getUnsignedInt(b));
        NativeBytes.getInt(b); // padding
        return out;
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putUnsignedInt(b, size);
        NativeBytes.putInt(b, 0);
    }
}
