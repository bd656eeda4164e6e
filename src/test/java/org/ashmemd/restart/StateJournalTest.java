package org.ashmemd.restart;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StateJournalTest {
    private static final StateJournal.Device DEVICE = new StateJournal.Device(121, 0, 38, 1, 38, 1, 131072, 131072, 4096);

    private static byte[] record(Random rnd, int i) {
        byte[] b = new byte[1 + rnd.nextInt(300)];
        rnd.nextBytes(b);
        b[0] = (byte) i;
        return b;
    }

    private static byte[] bytesOf(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void recordsAndHeaderReadBack() {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        StateJournal j = StateJournal.create(buf, 7, DEVICE);
        Random rnd = new Random(1);
        List<byte[]> written = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] r = record(rnd, i);
            assertTrue(j.append(r));
            written.add(r);
        }
        StateJournal.Replay replay = StateJournal.read(buf);
        assertEquals(7, replay.generation());
        assertEquals(DEVICE, replay.device());
        assertFalse(replay.cleanHandOver());
        assertFalse(replay.torn());
        assertEquals(written.size(), replay.records().size());
        for (int i = 0; i < written.size(); i++) {
            assertArrayEquals(written.get(i), bytesOf(replay.records().get(i)));
        }
        j.markCleanHandOver();
        assertTrue(StateJournal.read(buf).cleanHandOver());
    }

    /**
     * A daemon killed while appending leaves any subset of the last record's bytes stored (the
     * rest still zero, as in the fresh file): the reader sees exactly the records before it, or
     * all of them, never a damaged one.
     */
    @Test
    void deathAtAnyPointOfAnAppendLeavesAConsistentPrefix() {
        Random rnd = new Random(2);
        for (int round = 0; round < 2000; round++) {
            int n = 1 + rnd.nextInt(10);
            List<byte[]> written = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                written.add(record(rnd, i));
            }
            byte[] last = record(rnd, 99);
            // the same writer, once before and once after the last append
            ByteBuffer before = ByteBuffer.allocate(16 * 1024);
            ByteBuffer after = ByteBuffer.allocate(16 * 1024);
            StateJournal jb = StateJournal.create(before, 1, DEVICE);
            StateJournal ja = StateJournal.create(after, 1, DEVICE);
            for (byte[] w : written) {
                jb.append(w);
                ja.append(w);
            }
            int start = ja.position();
            assertTrue(ja.append(last));
            int end = ja.position();
            // the image a death leaves: the old bytes plus any subset of the new record's bytes
            ByteBuffer crash = ByteBuffer.allocate(before.capacity());
            crash.put(before.duplicate().clear()).clear();
            boolean complete = true;
            for (int k = start; k < end; k++) {
                if (rnd.nextInt(4) != 0) {
                    crash.put(k, after.get(k));
                } else if (after.get(k) != 0) {
                    complete = false;
                }
            }
            StateJournal.Replay r = StateJournal.read(crash);
            assertEquals(complete ? n + 1 : n, r.records().size(), "round " + round);
            for (int i = 0; i < n; i++) {
                assertArrayEquals(written.get(i), bytesOf(r.records().get(i)));
            }
            if (complete) {
                assertArrayEquals(last, bytesOf(r.records().get(n)));
            }
        }
    }

    @Test
    void aDamagedRecordEndsTheLogThere() {
        ByteBuffer buf = ByteBuffer.allocate(32 * 1024);
        StateJournal j = StateJournal.create(buf, 3, DEVICE);
        Random rnd = new Random(3);
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            starts.add(j.position());
            j.append(record(rnd, i));
        }
        buf.put(starts.get(10) + 9, (byte) (buf.get(starts.get(10) + 9) ^ 0x40));
        StateJournal.Replay r = StateJournal.read(buf);
        assertEquals(10, r.records().size());
        assertTrue(r.torn());
        buf.putInt(starts.get(5), Integer.MAX_VALUE); // a length beyond the end
        assertEquals(5, StateJournal.read(buf).records().size());
    }

    @Test
    void aBadHeaderIsRefused() {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        StateJournal.create(buf, 1, DEVICE);
        buf.put(20, (byte) 1); // device minor changed under the checksum
        assertThrows(IllegalArgumentException.class, () -> StateJournal.read(buf));
        assertThrows(IllegalArgumentException.class, () -> StateJournal.read(ByteBuffer.allocate(16 * 1024)));
        assertThrows(IllegalArgumentException.class, () -> StateJournal.read(ByteBuffer.allocate(100)));
    }

    @Test
    void aFullLogRefusesTheRecordAndKeepsWhatItHas() {
        ByteBuffer buf = ByteBuffer.allocate(StateJournal.HEADER_SIZE * 2);
        StateJournal j = StateJournal.create(buf, 1, DEVICE);
        int n = 0;
        while (j.append(new byte[100])) {
            n++;
        }
        assertEquals(n, StateJournal.read(buf).records().size());
        assertFalse(StateJournal.read(buf).torn());
    }

    /** Version 1 is version 2 without pins records: a daemon of today takes over from one before. */
    @Test
    void versionOneIsReadAndANewerVersionRefused() {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        StateJournal.create(buf, 3, DEVICE).append(new byte[] {9});
        assertEquals(2, buf.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(8));
        rewriteVersion(buf, 1);
        assertEquals(List.of(9), StateJournal.read(buf).records().stream().map(r -> (int) r.get(0)).toList());
        rewriteVersion(buf, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateJournal.read(buf));
        assertEquals("state format version 3, this daemon reads 1 to 2", e.getMessage());
    }

    /** Sets the header's version and its CRC, as a daemon writing that version would. */
    private static void rewriteVersion(ByteBuffer buf, int version) {
        ByteBuffer b = buf.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(8, version);
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b.slice(0, 52));
        b.putInt(52, (int) c.getValue());
    }
}
