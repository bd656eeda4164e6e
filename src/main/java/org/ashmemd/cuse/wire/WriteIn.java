package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_write_in}, 40 bytes; {@code size} data bytes follow it.
 *
 * @param fh         from OPEN
 * @param offset     bytes earlier chunks of the same write(2) carried; not a file position
 * @param size       data bytes that follow (u32)
 * @param writeFlags FUSE_WRITE_* (bit 1: lockOwner valid, bit 2: kill suid/sgid)
 * @param lockOwner  scrambled id of the caller's file table
 * @param flags      the file's f_flags
 */
public record WriteIn(long fh, long offset, long size, int writeFlags, long lockOwner, int flags, int padding) {
    public static final int SIZE = 40;

    public static WriteIn decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new WriteIn(NativeBytes.getLong(b), NativeBytes.getLong(b), NativeBytes.getUnsignedInt(b),
                NativeBytes.getInt(b), NativeBytes.getLong(b), NativeBytes.getInt(b), NativeBytes.getInt(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putLong(b, fh);
        NativeBytes.putLong(b, offset);
        NativeBytes.putUnsignedInt(b, size);
        NativeBytes.putInt(b, writeFlags);
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
