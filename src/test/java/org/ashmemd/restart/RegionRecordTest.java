package org.ashmemd.restart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.ashmemd.ashmem.AreaState;
import org.ashmemd.ashmem.UnpinnedRange;
import org.ashmemd.control.Opener;
import org.ashmemd.cuse.session.Caller;
import org.junit.jupiter.api.Test;

class RegionRecordTest {
    private static RegionRecord sample() {
        byte[] name = {'a', 0x1b, (byte) 0xff, '\n'};
        AreaState area = new AreaState(42, name, 3 * 4096 + 5, 3, 100, true,
                List.of(new UnpinnedRange(2, 3, true), new UnpinnedRange(0, 0, false)));
        return new RegionRecord(area, 2, new Caller(1000, 1001, 4242),
                new Opener(4200, 4242, "com.example", "RenderThread", 1000, "/lxc/android", "android"), 1234567L);
    }

    @Test
    void regionRecordRoundTrips() {
        RegionRecord r = sample();
        RegionRecord back = RegionRecord.decode(ByteBuffer.wrap(r.encode()));
        assertEquals(r.id(), back.id());
        assertArrayEquals(r.area().name(), back.area().name());
        assertEquals(r.area().size(), back.area().size());
        assertEquals(r.area().protMask(), back.area().protMask());
        assertEquals(r.area().position(), back.area().position());
        assertEquals(r.area().unpinned(), back.area().unpinned());
        assertEquals(r.flags(), back.flags());
        assertEquals(r.caller(), back.caller());
        assertEquals(r.opener(), back.opener());
        assertEquals(r.openedAtMillis(), back.openedAtMillis());
        assertEquals(-1, RegionRecord.goneId(ByteBuffer.wrap(r.encode())));
        assertEquals(42, RegionRecord.goneId(ByteBuffer.wrap(RegionRecord.encodeGone(42))));
    }

    @Test
    void everyCutOfARecordIsRefused() {
        byte[] full = sample().encode();
        for (int len = 0; len < full.length; len++) {
            ByteBuffer cut = ByteBuffer.wrap(full, 0, len).slice();
            assertThrows(IllegalArgumentException.class, () -> RegionRecord.decode(cut), "cut at " + len);
        }
    }

    @Test
    void handedOverFdsFollowTheirNames() {
        HandedOverFds fds = HandedOverFds.fromEnvironment(Map.of("LISTEN_PID", "77", "LISTEN_FDS", "4",
                "LISTEN_FDNAMES", "cuse:state-3:area-9:area-12"), 77);
        assertEquals(List.of(3), fds.get("cuse"));
        assertEquals(List.of(4), fds.get("state-3"));
        assertEquals(List.of(6), fds.get("area-12"));
        assertEquals(4, fds.count());
        assertEquals(0, HandedOverFds.fromEnvironment(Map.of("LISTEN_PID", "78", "LISTEN_FDS", "4"), 77).count());
        assertThrows(IllegalArgumentException.class,
                () -> HandedOverFds.fromEnvironment(Map.of("LISTEN_PID", "77", "LISTEN_FDS", "x"), 77));
    }

    @Test
    void aPinsRecordHoldsTheIdAndRangesOnly() {
        List<UnpinnedRange> ranges = List.of(new UnpinnedRange(5, 9, false), new UnpinnedRange(1, 0, true));
        ByteBuffer written = RegionRecord.encodePins(null, 42, ranges);
        byte[] rec = java.util.Arrays.copyOf(written.array(), written.limit());
        assertEquals(1 + 8 + 4 + 2 * 17, rec.length);
        RegionRecord.Pins pins = RegionRecord.decodePins(ByteBuffer.wrap(rec));
        assertEquals(42, pins.id());
        assertEquals(ranges, pins.unpinned());
        assertEquals(-1, RegionRecord.goneId(ByteBuffer.wrap(rec)));
        assertEquals(null, RegionRecord.decodePins(ByteBuffer.wrap(sample().encode())), "a whole record is not pins");
        assertThrows(IllegalArgumentException.class, () -> RegionRecord.decode(ByteBuffer.wrap(rec)));
        for (int len = 1; len < rec.length; len++) {
            ByteBuffer cut = ByteBuffer.wrap(rec, 0, len).slice();
            assertThrows(IllegalArgumentException.class, () -> RegionRecord.decodePins(cut), "cut at " + len);
        }
        byte[] longer = java.util.Arrays.copyOf(rec, rec.length + 1);
        assertThrows(IllegalArgumentException.class, () -> RegionRecord.decodePins(ByteBuffer.wrap(longer)));
    }

    @Test
    void pinsReplaceTheRangesAndNothingElse() {
        RegionRecord r = sample();
        List<UnpinnedRange> ranges = List.of(new UnpinnedRange(0, 2, false));
        RegionRecord after = r.withUnpinned(ranges);
        assertEquals(ranges, after.area().unpinned());
        assertArrayEquals(r.area().name(), after.area().name());
        assertEquals(r.area().size(), after.area().size());
        assertEquals(r.area().position(), after.area().position());
        assertEquals(r.opener(), after.opener());
        assertEquals(r.caller(), after.caller());
    }
}
