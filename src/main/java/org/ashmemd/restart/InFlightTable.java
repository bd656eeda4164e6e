package org.ashmemd.restart;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.ashmemd.cuse.transport.InFlightLog;

/**
 * The requests the CUSE readers hold, one slot per reader, in a small memfd parked as
 * {@code inflight}: what a daemon started after a crash needs to release the callers the dead
 * one left waiting.
 *
 * <pre>
 *   0  u64 magic "ASHMDIF1"     slot i at 64 + 128 i:
 *   8  u32 slots                  0  u64 request id (0: idle)
 *  16  u64 an id read lately      8  u32 reply length (0: no reply built yet)
 *                                12  u32 CRC32C of the reply
 *                                16  the reply frame, at most 112 bytes (larger ones are not kept)
 * </pre>
 *
 * Each slot is written by its reader only: the id after the read, the reply (bytes, CRC, then
 * length) before the write, the id cleared after it. A slot caught half-written after a death
 * shows either no reply or a reply whose CRC fails, which counts as none.
 *
 * A request read in the instants between read(2) and its slot's id is held by nobody the table
 * knows of. The header's "id read lately" (every reader stores its ids there, so it is one of
 * the newest, not always the newest) tells a daemon on a kernel that cannot re-send where such
 * a request's id lies: ids are a counter of the connection stepping by 2, handed out as the
 * kernel queues requests, and the readers take them in order.
 */
public final class InFlightTable implements InFlightLog {
    public static final String NAME = "inflight";
    static final long MAGIC = 0x3146_4944_4d48_5341L; // "ASHMDIF1"
    static final int SLOT = 128;
    static final int FIRST_SLOT = 64;
    static final int MAX_REPLY = SLOT - 16;
    static final int READ_LATELY = 16;
    /** Request ids are a per-connection counter stepping by 2 (odd ones are INTERRUPTs). */
    static final int ID_STEP = 2;
    public static final long UNIQUE_RESEND = 1L << 63;

    /** A request a dead reader held, with the reply it built if it got that far. */
    public record Entry(long unique, byte[] reply) {
    }

    private final ByteBuffer buf;
    private final int slots;
    /** Replies of requests the dead daemon completed, by id without the resend bit. */
    private final Map<Long, byte[]> completed = new ConcurrentHashMap<>();

    private InFlightTable(ByteBuffer buf, int slots) {
        this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.slots = slots;
    }

    public static int bytesFor(int slots) {
        return FIRST_SLOT + slots * SLOT;
    }

    /** A cleared table of {@code slots} slots in {@code buf}. */
    public static InFlightTable create(ByteBuffer buf, int slots) {
        if (buf.capacity() < bytesFor(slots)) {
            throw new IllegalArgumentException("in-flight table needs " + bytesFor(slots) + " bytes");
        }
        InFlightTable t = new InFlightTable(buf, slots);
        for (int i = 0; i < t.buf.capacity(); i += 8) {
            if (i + 8 <= t.buf.capacity()) {
                t.buf.putLong(i, 0);
            }
        }
        t.buf.putLong(0, MAGIC).putInt(8, slots);
        return t;
    }

    /** The requests held when the writer stopped; empty for a buffer that is not a table. */
    public static List<Entry> read(ByteBuffer source) {
        ByteBuffer b = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        List<Entry> out = new ArrayList<>();
        if (b.capacity() < FIRST_SLOT || b.getLong(0) != MAGIC) {
            return out;
        }
        int slots = b.getInt(8);
        if (slots < 0 || bytesFor(slots) > b.capacity()) {
            return out;
        }
        for (int i = 0; i < slots; i++) {
            int at = FIRST_SLOT + i * SLOT;
            long unique = b.getLong(at);
            if (unique == 0) {
                continue;
            }
            int len = b.getInt(at + 8);
            byte[] reply = null;
            if (len >= 16 && len <= MAX_REPLY) {
                byte[] r = new byte[len];
                b.get(at + 16, r);
                CRC32C c = new CRC32C();
                c.update(r);
                if ((int) c.getValue() == b.getInt(at + 12)
                        && ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).getLong(8) == unique) {
                    reply = r;
                }
            }
            out.add(new Entry(unique, reply));
        }
        return out;
    }

    /** One of the newest request ids the writer read (0: none, or not a table). */
    public static long readLately(ByteBuffer source) {
        ByteBuffer b = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        return b.capacity() < FIRST_SLOT || b.getLong(0) != MAGIC ? 0 : b.getLong(READ_LATELY);
    }

    /**
     * The request ids within {@code span} requests of {@code around} (before and after it), none
     * below the first id: where a request read but not recorded by a dead writer can be. A reply
     * to one that is not waiting for an answer is refused by the kernel (ENOENT) and changes
     * nothing, so they can all be answered.
     */
    public static long[] idsAround(long around, int span) {
        if (around <= 0 || span <= 0) {
            return new long[0];
        }
        long first = Math.max(ID_STEP, around - (long) span * ID_STEP);
        int n = (int) ((around + (long) span * ID_STEP - first) / ID_STEP) + 1;
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = first + (long) i * ID_STEP;
        }
        return ids;
    }

    /** Replays these completed requests' replies when the kernel re-sends them. */
    public void expectResent(List<Entry> entries) {
        for (Entry e : entries) {
            if (e.reply() != null) {
                completed.put(e.unique() & ~UNIQUE_RESEND, e.reply());
            }
        }
    }

    /** The reply a caller waiting for {@code e} gets when the kernel cannot re-send it. */
    public static ByteBuffer releaseFrame(Entry e, int errno) {
        if (e.reply() != null) {
            return ByteBuffer.wrap(e.reply());
        }
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(16).putInt(-errno).putLong(e.unique()).flip();
    }

    /** The FUSE_NOTIFY_RESEND notification: every request being processed goes back to the queue. */
    public static ByteBuffer resendNotification() {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(16).putInt(7).putLong(0).flip();
    }

    @Override
    public void begin(int slot, long unique) {
        if (slot >= slots || (unique & 1) != 0) {
            return; // INTERRUPTs (odd ids) need no answer
        }
        int at = FIRST_SLOT + slot * SLOT;
        buf.putInt(at + 8, 0);
        buf.putLong(at, unique);
        buf.putLong(READ_LATELY, unique);
    }

    @Override
    public void answered(int slot, ByteBuffer reply) {
        if (slot >= slots || reply.remaining() > MAX_REPLY) {
            return;
        }
        int at = FIRST_SLOT + slot * SLOT;
        if (buf.getLong(at) == 0) {
            return;
        }
        int len = reply.remaining();
        buf.put(at + 16, reply, reply.position(), len);
        CRC32C c = new CRC32C();
        c.update(reply.duplicate());
        buf.putInt(at + 12, (int) c.getValue());
        buf.putInt(at + 8, len);
    }

    @Override
    public void end(int slot) {
        if (slot < slots) {
            buf.putLong(FIRST_SLOT + slot * SLOT, 0);
        }
    }

    @Override
    public int replay(long unique, ByteBuffer reply) {
        byte[] r = completed.remove(unique & ~UNIQUE_RESEND);
        if (r == null || reply.capacity() < r.length) {
            return 0;
        }
        reply.clear();
        reply.put(0, r);
        reply.duplicate().order(ByteOrder.LITTLE_ENDIAN).putLong(8, unique); // the re-sent id, bit 63 included
        return r.length;
    }
}
