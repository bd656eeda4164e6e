package org.ashmemd.restart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class InFlightTableTest {
    private static ByteBuffer reply(long unique, int error, int extra) {
        ByteBuffer b = ByteBuffer.allocate(16 + extra).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(16 + extra).putInt(error).putLong(unique);
        for (int i = 0; i < extra; i++) {
            b.put((byte) i);
        }
        return b.flip();
    }

    @Test
    void heldRequestsAndTheirRepliesAreReadBack() {
        ByteBuffer mem = ByteBuffer.allocate(InFlightTable.bytesFor(4));
        InFlightTable t = InFlightTable.create(mem, 4);
        t.begin(0, 10);
        t.begin(1, 12);
        t.answered(1, reply(12, 0, 16));
        t.begin(2, 14);
        t.answered(2, reply(14, 0, 16));
        t.end(2);
        t.begin(3, 15); // an INTERRUPT: not kept
        List<InFlightTable.Entry> held = InFlightTable.read(mem);
        assertEquals(2, held.size());
        assertEquals(10, held.get(0).unique());
        assertNull(held.get(0).reply());
        assertEquals(12, held.get(1).unique());
        byte[] expected = new byte[32];
        reply(12, 0, 16).get(expected);
        assertArrayEquals(expected, held.get(1).reply());
    }

    @Test
    void aReplyCaughtHalfWrittenCountsAsNone() {
        ByteBuffer mem = ByteBuffer.allocate(InFlightTable.bytesFor(1));
        InFlightTable t = InFlightTable.create(mem, 1);
        t.begin(0, 20);
        t.answered(0, reply(20, 0, 16));
        mem.put(InFlightTable.FIRST_SLOT + 16 + 20, (byte) 0x7f); // a byte not yet stored
        assertNull(InFlightTable.read(mem).get(0).reply());
    }

    @Test
    void aResentRequestGetsTheRecordedReplyWithItsNewId() {
        ByteBuffer mem = ByteBuffer.allocate(InFlightTable.bytesFor(1));
        InFlightTable old = InFlightTable.create(mem, 1);
        old.begin(0, 30);
        old.answered(0, reply(30, 0, 16));
        List<InFlightTable.Entry> held = InFlightTable.read(mem);
        InFlightTable fresh = InFlightTable.create(ByteBuffer.allocate(InFlightTable.bytesFor(1)), 1);
        fresh.expectResent(held);
        ByteBuffer out = ByteBuffer.allocate(256);
        long resent = 30 | InFlightTable.UNIQUE_RESEND;
        assertEquals(32, fresh.replay(resent, out));
        assertEquals(resent, out.duplicate().order(ByteOrder.LITTLE_ENDIAN).getLong(8));
        assertEquals(0, fresh.replay(resent, out), "replayed once only");
        assertEquals(0, fresh.replay(32 | InFlightTable.UNIQUE_RESEND, out), "an unknown request runs anew");
    }

    @Test
    void callersWithoutARecordedReplyGetEintr() {
        ByteBuffer f = InFlightTable.releaseFrame(new InFlightTable.Entry(40, null), 4).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(16, f.getInt(0));
        assertEquals(-4, f.getInt(4));
        assertEquals(40, f.getLong(8));
        ByteBuffer n = InFlightTable.resendNotification().order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(n.getInt(0) == 16 && n.getInt(4) == 7 && n.getLong(8) == 0);
    }

    @Test
    void theNewestIdReadIsKeptWhenItsSlotIsIdleAgain() {
        ByteBuffer mem = ByteBuffer.allocate(InFlightTable.bytesFor(2));
        assertEquals(0, InFlightTable.readLately(mem), "not a table");
        InFlightTable t = InFlightTable.create(mem, 2);
        assertEquals(0, InFlightTable.readLately(mem), "nothing read yet");
        t.begin(0, 20);
        t.begin(1, 22);
        t.end(1);
        t.begin(1, 23); // an INTERRUPT's id says nothing of the counter's even ids
        assertEquals(22, InFlightTable.readLately(mem));
        assertTrue(InFlightTable.read(mem).stream().allMatch(e -> e.unique() == 20), "only slot 0 holds one");
        InFlightTable.create(mem, 2);
        assertEquals(0, InFlightTable.readLately(mem), "cleared with the table");
    }

    @Test
    void idsAroundCoverTheCounterOnBothSidesAndNeverGoBelowTheFirstId() {
        assertArrayEquals(new long[] {96, 98, 100, 102, 104}, InFlightTable.idsAround(100, 2));
        assertArrayEquals(new long[] {2, 4, 6, 8}, InFlightTable.idsAround(4, 2));
        assertEquals(0, InFlightTable.idsAround(0, 8).length, "nothing read: nothing to answer");
        assertEquals(2 * 128 + 1, InFlightTable.idsAround(1_000_000, 128).length);
    }
}
