package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_open_in}, 8 bytes.
 *
 * @param flags     open flags without O_CREAT, O_EXCL, O_NOCTTY and O_TRUNC
 * @param openFlags 0 for CUSE
 */
public record OpenIn(int flags, int openFlags) {
    public static final int SIZE = 8;

    public static OpenIn decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new OpenIn(NativeBytes.getInt(b), NativeBytes.getInt(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putInt(b, flags);
        NativeBytes.putInt(b, openFlags);
    }

    /** For the debug line: the open flags in octal, as open(2) writes them. */
    @Override
    public String toString() {
        return "flags=0" + Integer.toOctalString(flags);
    }
}
