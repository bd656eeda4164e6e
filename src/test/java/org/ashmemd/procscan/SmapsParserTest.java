package org.ashmemd.procscan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SmapsParserTest {
    private static final long K = 1024;

    @Test
    void everyMappingOfARealSmapsFileWithItsCounters() throws Exception {
        int mapper = ProcFixtures.pid("mapper");
        String smaps = ProcFixtures.procFile(mapper, "smaps");
        List<SmapsEntry> all = SmapsParser.parse(smaps);
        assertEquals(MapsParser.parse(ProcFixtures.procFile(mapper, "maps")).size(), all.size(),
                "one block per maps line");
        for (SmapsEntry e : all) {
            assertEquals(e.mapping().sizeBytes(), e.sizeBytes(), e.mapping().toString());
            assertTrue(e.rssBytes() <= e.sizeBytes());
            assertTrue(e.pssBytes() <= e.rssBytes());
            assertTrue(e.vmFlags().contains("rd") || e.vmFlags().contains("ex") || e.mapping().perms().startsWith("-"));
        }
    }

    @Test
    void touchedAshmemdRegion() throws Exception {
        List<SmapsEntry> r = SmapsParser.parse(ProcFixtures.procFile(ProcFixtures.pid("mapper"), "smaps"),
                e -> e.path().equals("/memfd:dev/ashmem/fixture-region (deleted)"));
        assertEquals(1, r.size());
        SmapsEntry e = r.get(0);
        assertEquals(1024 * K, e.sizeBytes());
        assertEquals(256 * K, e.rssBytes(), "the fixture touched 64 pages");
        assertEquals(256 * K, e.pssBytes());
        assertEquals(256 * K, e.field("Shared_Dirty") + e.field("Private_Dirty"));
        assertEquals(0, e.swapBytes());
        assertEquals(0, e.swapPssBytes());
        assertEquals(4 * K, e.field("KernelPageSize"));
        assertEquals(0, e.field("THPeligible"), "a plain number, not kB");
        assertTrue(e.vmFlags().contains("sh"), e.vmFlags());
    }

    @Test
    void theSameMemfdMappedTwiceIsTwoEntries() throws Exception {
        List<SmapsEntry> r = SmapsParser.parse(ProcFixtures.procFile(ProcFixtures.pid("mapper"), "smaps"),
                e -> e.path().startsWith("/memfd:fixture-cutils"));
        assertEquals(2, r.size());
        assertEquals(r.get(0).mapping().inode(), r.get(1).mapping().inode());
        assertEquals(128 * K, r.get(0).rssBytes() + r.get(1).rssBytes());
    }

    @Test
    void swapAndUnknownCounters() {
        String text = "7f00000000-7f00002000 rw-s 00000000 00:01 77 /memfd:dev/ashmem/sw (deleted)\n"
                + "Size:                  8 kB\n"
                + "Rss:                   4 kB\n"
                + "Pss:                   2 kB\n"
                + "Swap:                  4 kB\n"
                + "SwapPss:               2 kB\n"
                + "NewCounter:            x kB\n"
                + "VmFlags: rd wr sh mr mw me ms sd\n"
                + "7f00002000-7f00003000 r--p 00000000 00:00 0\n"
                + "Size:                  4 kB\n";
        List<SmapsEntry> all = SmapsParser.parse(text);
        assertEquals(2, all.size());
        SmapsEntry e = all.get(0);
        assertEquals(4 * K, e.swapBytes());
        assertEquals(2 * K, e.swapPssBytes());
        assertEquals(2 * K, e.pssBytes());
        assertEquals("rd wr sh mr mw me ms sd", e.vmFlags());
        assertEquals(0, e.field("NewCounter"));
        assertEquals(4 * K, all.get(1).sizeBytes());
        assertEquals(0, all.get(1).rssBytes(), "a counter the kernel did not write");
    }

    @Test
    void skippedMappingsKeepTheirCountersToThemselves() {
        String text = "7f00000000-7f00001000 rw-p 00000000 00:00 0\n"
                + "Rss:                   4 kB\n"
                + "7f00001000-7f00002000 rw-s 00000000 00:01 9 /memfd:x (deleted)\n"
                + "Rss:                   0 kB\n";
        List<SmapsEntry> kept = SmapsParser.parse(text, e -> e.inode() == 9);
        assertEquals(1, kept.size());
        assertEquals(0, kept.get(0).rssBytes());
    }
}
