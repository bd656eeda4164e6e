package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_release_in}, 24 bytes.
 *
 * @param fh           from OPEN
 * @param flags        the file's f_flags
 * @param releaseFlags 0 for CUSE
 * @param lockOwner    0 for CUSE
 */
public record ReleaseIn(long fh, int flags, int releaseFlags, long lockOwner) {
    public static final int SIZE = 24;

    public static ReleaseIn decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new ReleaseIn(NativeBytes.getLong(b), NativeBytes.getInt(b), NativeBytes.getInt(b),
                NativeBytes.getLong(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putLong(b, fh);
        NativeBytes.putInt(b, flags);
        NativeBytes.putInt(b, releaseFlags);
        NativeBytes.putLong(b, lockOwner);
    }

    /** For the debug line. */
    @Override
    public String toString() {
        return "fh=" + Long.toUnsignedString(fh) + " flags=0" + Integer.toOctalString(flags);
    }
}
