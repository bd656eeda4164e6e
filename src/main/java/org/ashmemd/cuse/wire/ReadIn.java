package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_read_in}, 40 bytes.
 *
 * @param fh        from OPEN
 * @param offset    bytes earlier chunks of the same read(2) returned; not a file position
 * @param size      most bytes the reply may carry (u32)
 * @param readFlags FUSE_READ_* (bit 1: lockOwner is valid)
 * @param lockOwner scrambled id of the caller's file table
 * @param flags     the file's f_flags (O_NONBLOCK shows here)
 */
public record ReadIn(long fh, long offset, long size, int readFlags, long lockOwner, int flags, int padding) {
    public static final int SIZE = 40;

    public static ReadIn decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new ReadIn(NativeBytes.getLong(b), NativeBytes.getLong(b), NativeBytes.getUnsignedInt(b),
                NativeBytes.getInt(b), NativeBytes.getLong(b), NativeBytes.getInt(b), NativeBytes.getInt(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putLong(b, fh);
        NativeBytes.putLong(b, offset);
        NativeBytes.putUnsignedInt(b, size);
        NativeBytes.putInt(b, readFlags);
        NativeBytes.putLong(b, lockOwner);
        NativeBytes.putInt(b, flags);
        NativeBytes.putInt(b, padding);
    }

    /** For the debug line. */
    @Override
    public String toString() {
        return "fh=" + Long.toUnsignedString(fh) + " off=" + offset + " size=" + size + " flags=0"
                + Integer.toOctalString(flags);
    }
}
