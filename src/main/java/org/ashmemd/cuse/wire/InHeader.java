package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_in_header}, 40 bytes at the start of every request.
 *
 * @param len         total request bytes, header included (u32)
 * @param opcode      see {@link Opcode}
 * @param unique      request id to echo, an opaque 64-bit pattern (bit 0: INTERRUPT, bit 63: resent)
 * @param nodeId      always 0 for CUSE
 * @param uid         caller fsuid in the daemon's user namespace (u32 bit pattern)
 * @param gid         caller fsgid (u32 bit pattern)
 * @param pid         caller thread id in the daemon's pid namespace; 0 when invisible there
 * @param totalExtlen length of trailing extensions in 8-byte units (u16); always 0 for CUSE
 * @param padding     0
 */
public record InHeader(long len, int opcode, long unique, long nodeId, int uid, int gid, int pid,
                       int totalExtlen, int padding) {
    public static final int SIZE = 40;
    static final int OFFSET_LEN = 0;
    static final int OFFSET_OPCODE = 4;
    static final int OFFSET_UNIQUE = 8;

    /** Reads the header at the buffer's position and advances past it. */
    public static InHeader decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new InHeader(
                NativeBytes.getUnsignedInt(b),
                NativeBytes.getInt(b),
                NativeBytes.getLong(b),
                NativeBytes.getLong(b),
                NativeBytes.getInt(b),
                NativeBytes.getInt(b),
                NativeBytes.getInt(b),
                Short.toUnsignedInt(NativeBytes.getShort(b)),
                Short.toUnsignedInt(NativeBytes.getShort(b)));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putUnsignedInt(b, len);
        NativeBytes.putInt(b, opcode);
        NativeBytes.putLong(b, unique);
        NativeBytes.putLong(b, nodeId);
        NativeBytes.putInt(b, uid);
        NativeBytes.putInt(b, gid);
        NativeBytes.putInt(b, pid);
        NativeBytes.putShort(b, (short) totalExtlen);
        NativeBytes.putShort(b, (short) padding);
    }

    /** Bytes of extensions at the end of the request. */
    public int extensionBytes() {
        return totalExtlen * 8;
    }

    /**
     * The unique id of a frame whose header may be incomplete: present as soon as the first 16
     * bytes are. Does not move the position.
     */
    public static boolean hasUnique(ByteBuffer b) {
        return b.remaining() >= OFFSET_UNIQUE + 8;
    }

    /** The unique id at the buffer's position; see {@link #hasUnique}. */
    public static long peekUnique(ByteBuffer b) {
        return NativeBytes.getLong(b, b.position() + OFFSET_UNIQUE);
    }

    /**
     * The opcode at the buffer's position, or 0 (no opcode has that number) when fewer than 8
     * bytes are there. Does not move the position.
     */
    public static int peekOpcode(ByteBuffer b) {
        return b.remaining() >= OFFSET_OPCODE + 4 ? NativeBytes.getInt(b, b.position() + OFFSET_OPCODE) : 0;
    }
}
