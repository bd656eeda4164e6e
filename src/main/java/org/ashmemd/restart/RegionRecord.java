package org.ashmemd.restart;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ashmemd.ashmem.AreaState;
import org.ashmemd.ashmem.UnpinnedRange;
import org.ashmemd.control.Opener;
import org.ashmemd.cuse.session.Caller;

/**
 * One record of the restart state: a region with its open file (type 1, the whole current state
 * of that region), the end of one (type 2), or a region's new unpinned ranges (type 3, what PIN,
 * UNPIN and purges change, which Android does far more often than anything else). The open
 * file's id is the region's id.
 */
public record RegionRecord(AreaState area, int flags, Caller caller, Opener opener, long openedAtMillis) {
    static final byte TYPE_REGION = 1;
    static final byte TYPE_GONE = 2;
    static final byte TYPE_PINS = 3;
    private static final int RANGE_BYTES = 17;
    /** Strings from /proc are cut here: they only label the region. */
    private static final int MAX_TEXT = 1024;

    public long id() {
        return area.id();
    }

    public byte[] encode() {
        return encode(encodeTexts(opener));
    }

    /**
     * The opener's four labels as a record holds them, each length-prefixed UTF-8: they never
     * change while the region is open, so a writer encodes them once per region.
     */
    static byte[] encodeTexts(Opener opener) {
        byte[][] texts = {utf8(opener.processName()), utf8(opener.threadName()), utf8(opener.cgroup()),
                utf8(opener.container())};
        int size = 0;
        for (byte[] t : texts) {
            size += 2 + t.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] t : texts) {
            b.putShort((short) t.length).put(t);
        }
        return b.array();
    }

    /** The record, with the opener's labels given as {@link #encodeTexts} made them. */
    byte[] encode(byte[] texts) {
        byte[] name = area.name();
        int size = 1 + 8 + 4 * 6 + 8 + 8 + 4 + 8 + 1 + 2 + name.length + texts.length + 4
                + area.unpinned().size() * RANGE_BYTES;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(TYPE_REGION).putLong(area.id()).putInt(flags).putInt(caller.uid()).putInt(caller.gid())
                .putInt(caller.tid()).putInt(opener.pid()).putInt(opener.uid()).putLong(openedAtMillis)
                .putLong(area.size()).putInt(area.protMask()).putLong(area.position())
                .put((byte) (area.hasBacking() ? 1 : 0));
        b.putShort((short) name.length).put(name).put(texts);
        putRanges(b, area.unpinned());
        return b.array();
    }

    /**
     * A pins record (region {@code id}'s unpinned ranges are now {@code unpinned}) written into
     * {@code scratch} (from its start), or into a new buffer when it is null or too small; returns
     * the buffer written, flipped: it is reused per record where PIN and UNPIN come one after the
     * other.
     */
    static ByteBuffer encodePins(ByteBuffer scratch, long id, List<UnpinnedRange> unpinned) {
        int size = 1 + 8 + 4 + unpinned.size() * RANGE_BYTES;
        ByteBuffer b = scratch != null && scratch.capacity() >= size ? scratch.clear()
                : ByteBuffer.allocate(Math.max(size, 256)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(TYPE_PINS).putLong(id);
        putRanges(b, unpinned);
        return b.flip();
    }

    /** The region of a pins record with its new ranges. */
    record Pins(long id, List<UnpinnedRange> unpinned) {
    }

    /**
     * Decodes a pins record, or returns null when {@code payload} is another type.
     *
     * @throws IllegalArgumentException for a pins record that is not well-formed
     */
    static Pins decodePins(ByteBuffer payload) {
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (!b.hasRemaining() || b.get(b.position()) != TYPE_PINS) {
            return null;
        }
        try {
            b.get();
            long id = b.getLong();
            List<UnpinnedRange> ranges = getRanges(b);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " trailing bytes");
            }
            return new Pins(id, ranges);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("pins record cut short");
        }
    }

    /** This record with the region's unpinned ranges replaced. */
    RegionRecord withUnpinned(List<UnpinnedRange> unpinned) {
        AreaState a = area;
        return new RegionRecord(new AreaState(a.id(), a.name(), a.size(), a.protMask(), a.position(), a.hasBacking(),
                unpinned), flags, caller, opener, openedAtMillis);
    }

    private static void putRanges(ByteBuffer b, List<UnpinnedRange> unpinned) {
        b.putInt(unpinned.size());
        for (UnpinnedRange r : unpinned) {
            b.putLong(r.pgstart()).putLong(r.pgend()).put((byte) (r.purged() ? 1 : 0));
        }
    }

    private static List<UnpinnedRange> getRanges(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / RANGE_BYTES) {
            throw new IllegalArgumentException("range count " + n);
        }
        List<UnpinnedRange> ranges = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ranges.add(new UnpinnedRange(b.getLong(), b.getLong(), b.get() != 0));
        }
        return ranges;
    }

    public static byte[] encodeGone(long id) {
        return ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).put(TYPE_GONE).putLong(id).array();
    }

    /** The region id of a gone record, or -1 when {@code payload} is another record. */
    public static long goneId(ByteBuffer payload) {
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return b.remaining() == 9 && b.get(b.position()) == TYPE_GONE ? b.getLong(b.position() + 1) : -1;
    }

    /**
     * Decodes a region record.
     *
     * @throws IllegalArgumentException for a record that is not a well-formed region record
     */
    public static RegionRecord decode(ByteBuffer payload) {
        ByteBuffer b = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (b.get() != TYPE_REGION) {
                throw new IllegalArgumentException("not a region record");
            }
            long id = b.getLong();
            int flags = b.getInt();
            Caller caller = new Caller(b.getInt(), b.getInt(), b.getInt());
            int pid = b.getInt();
            int openerUid = b.getInt();
            long openedAt = b.getLong();
            long size = b.getLong();
            int prot = b.getInt();
            long position = b.getLong();
            boolean backing = b.get() != 0;
            byte[] name = bytes(b);
            String process = text(b);
            String thread = text(b);
            String cgroup = text(b);
            String container = text(b);
            List<UnpinnedRange> ranges = getRanges(b);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(b.remaining() + " trailing bytes");
            }
            return new RegionRecord(new AreaState(id, name, size, prot, position, backing, ranges), flags, caller,
                    new Opener(pid, caller.tid(), process, thread, openerUid, cgroup, container), openedAt);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("region record cut short");
        }
    }

    private static byte[] utf8(String s) {
        byte[] b = s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
        return b.length > MAX_TEXT ? Arrays.copyOf(b, MAX_TEXT) : b;
    }

    private static byte[] bytes(ByteBuffer b) {
        int n = Short.toUnsignedInt(b.getShort());
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static String text(ByteBuffer b) {
        return new String(bytes(b), StandardCharsets.UTF_8);
    }
}
