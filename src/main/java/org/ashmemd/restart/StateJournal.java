package org.ashmemd.restart;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The restart state's byte layout in one buffer (the mapped state memfd): a header page and an
 * append-only log of records after it.
 *
 * <pre>
 * header (page 0)                         record (from offset 4096, 4-byte aligned)
 *   0  u64 magic "ASHMDST1"                 0  u32 payload length, &gt; 0
 *   8  u32 format version (2)               4  u32 CRC32C of the payload
 *  12  u32 generation                       8  payload: type byte, then its fields
 *  16  u32[9] device: major, minor, kernel's FUSE minor and flags,
 *      answered minor and flags, max_read, max_write, page size
 *  52  u32 CRC32C of bytes 0..51
 *  56  u32 clean hand-over mark (1: the writer stopped after draining every request)
 * </pre>
 *
 * <p>Why a reader after {@code kill -9} at any instruction sees a consistent state: the file
 * starts zero-filled and is only appended to; a record counts only when its length is non-zero,
 * fits, and its CRC matches its payload. A record caught half-written fails one of these and ends
 * the log there, so the reader sees exactly the records completed before the death, in order.
 * A region's state is its last valid whole record with the pins records after it applied.
 *
 * <p>One thread appends at a time (the restart state's lock).
 */
public final class StateJournal {
    public static final long MAGIC = 0x3154_5344_4d48_5341L; // "ASHMDST1" little-endian
    /** Version 2 added pins records (type 3); a daemon that reads only 1 must not miss them. */
    public static final int VERSION = 2;
    /** The oldest version this daemon reads: version 1 is version 2 without pins records. */
    static final int OLDEST_VERSION = 1;
    public static final int HEADER_SIZE = 4096;
    private static final int CRC_OFFSET = 52;
    private static final int CLEAN_OFFSET = 56;
    private static final int RECORD_HEADER = 8;

    /** What CUSE_INIT settled and the kernel's device numbers: the new daemon skips CUSE_INIT. */
    public record Device(int major, int minor, int kernelMinor, int kernelFlags, int minorAnswered, int flagsAnswered,
            int maxRead, int maxWrite, int pageSize) {
    }

    /** A log read back: its header, the payloads of its valid records, and why it ended. */
    public record Replay(int generation, Device device, boolean cleanHandOver, List<ByteBuffer> records, int end,
            boolean torn) {
    }

    private final ByteBuffer buf;
    private final CRC32C crc = new CRC32C();
    private int position;

    private StateJournal(ByteBuffer buf, int position) {
        this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.position = position;
    }

    /** Writes a fresh header into {@code buf} (zero-filled, from a new memfd) and starts an empty log. */
    public static StateJournal create(ByteBuffer buf, int generation, Device d) {
        if (buf.capacity() < HEADER_SIZE * 2) {
            throw new IllegalArgumentException("state buffer of " + buf.capacity() + " bytes is too small");
        }
        StateJournal j = new StateJournal(buf, HEADER_SIZE);
        ByteBuffer b = j.buf;
        b.putLong(0, MAGIC).putInt(8, VERSION).putInt(12, generation);
        int[] fields = {d.major(), d.minor(), d.kernelMinor(), d.kernelFlags(), d.minorAnswered(), d.flagsAnswered(),
                d.maxRead(), d.maxWrite(), d.pageSize()};
        for (int i = 0; i < fields.length; i++) {
            b.putInt(16 + 4 * i, fields[i]);
        }
        b.putInt(CRC_OFFSET, crc(b, 0, CRC_OFFSET));
        return j;
    }

    /** Bytes used, header included. */
    public int position() {
        return position;
    }

    public int capacity() {
        return buf.capacity();
    }

    /**
     * Appends one record; false (nothing written) when it does not fit. Payload and CRC are
     * stored before the length, which makes the record count.
     */
    public boolean append(byte[] payload) {
        return append(ByteBuffer.wrap(payload));
    }

    /** Appends the {@code payload}'s remaining bytes as one record; its position does not move. */
    public boolean append(ByteBuffer payload) {
        int length = payload.remaining();
        if (length == 0) {
            throw new IllegalArgumentException("empty record");
        }
        int total = align(RECORD_HEADER + length);
        if (position + total + RECORD_HEADER > buf.capacity()) {
            return false; // keeps room for the zero length that ends the log
        }
        buf.put(position + RECORD_HEADER, payload, payload.position(), length);
        crc.reset();
        crc.update(payload.duplicate());
        buf.putInt(position + 4, (int) crc.getValue());
        buf.putInt(position, length);
        position += total;
        return true;
    }

    /** Marks that the writer drained every request and stopped: the next daemon has nothing to answer. */
    public void markCleanHandOver() {
        buf.putInt(CLEAN_OFFSET, 1);
    }

    /**
     * Reads a state buffer back.
     *
     * @throws IllegalArgumentException when the header is not a valid state header of this version
     */
    public static Replay read(ByteBuffer source) {
        ByteBuffer b = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.capacity() < HEADER_SIZE + RECORD_HEADER) {
            throw new IllegalArgumentException("state of " + b.capacity() + " bytes has no room for its header");
        }
        if (b.getLong(0) != MAGIC) {
            throw new IllegalArgumentException("not an ashmemd state (bad magic)");
        }
        int version = b.getInt(8);
        if (version < OLDEST_VERSION || version > VERSION) {
            throw new IllegalArgumentException("state format version " + version + ", this daemon reads "
                    + OLDEST_VERSION + " to " + VERSION);
        }
        if (b.getInt(CRC_OFFSET) != crc(b, 0, CRC_OFFSET)) {
            throw new IllegalArgumentException("state header checksum mismatch");
        }
        Device d = new Device(b.getInt(16), b.getInt(20), b.getInt(24), b.getInt(28), b.getInt(32), b.getInt(36),
                b.getInt(40), b.getInt(44), b.getInt(48));
        List<ByteBuffer> records = new ArrayList<>();
        int pos = HEADER_SIZE;
        boolean torn = false;
        while (pos + RECORD_HEADER <= b.capacity()) {
            int len = b.getInt(pos);
            if (len == 0) {
                break;
            }
            if (len < 0 || len > b.capacity() - pos - RECORD_HEADER) {
                torn = true;
                break;
            }
            if (b.getInt(pos + 4) != crc(b, pos + RECORD_HEADER, len)) {
                torn = true;
                break;
            }
            records.add(b.slice(pos + RECORD_HEADER, len).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer());
            pos += align(RECORD_HEADER + len);
        }
        return new Replay(b.getInt(12), d, b.getInt(CLEAN_OFFSET) == 1, records, pos, torn);
    }

    private static int crc(ByteBuffer b, int offset, int length) {
        CRC32C c = new CRC32C();
        c.update(b.slice(offset, length));
        return (int) c.getValue();
    }

    private static int align(int n) {
        return (n + 3) & ~3;
    }
}
