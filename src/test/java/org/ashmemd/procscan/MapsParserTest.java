package org.ashmemd.procscan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MapsParserTest {
    @Test
    void parsesEveryLineOfARealMapsFile() throws Exception {
        String text = ProcFixtures.procFile(ProcFixtures.pid("mapper"), "maps");
        List<MapsEntry> all = MapsParser.parse(text);
        assertEquals(text.split("\n").length, all.size());
        MapsEntry stack = all.stream().filter(e -> e.path().equals("[stack]")).findFirst().orElseThrow();
        assertEquals("rw-p", stack.perms());
        assertFalse(stack.shared());
        assertTrue(all.stream().anyMatch(e -> e.path().isEmpty() && e.inode() == 0), "anonymous mappings have no path");
    }

    @Test
    void memfdLineKeepsItsNameWithSpacesAndDeletedSuffix() throws Exception {
        List<MapsEntry> spaced = MapsParser.parse(ProcFixtures.procFile(ProcFixtures.pid("mapper"), "maps"),
                e -> e.path().contains("name with spaces"));
        assertEquals(1, spaced.size());
        MapsEntry e = spaced.get(0);
        assertEquals("/memfd:dev/ashmem/name with spaces (deleted)", e.path());
        assertEquals("/memfd:dev/ashmem/name with spaces", e.livePath());
        assertTrue(e.deleted());
        assertTrue(e.shared());
        assertEquals(4096, e.sizeBytes());
        assertEquals("rw-s", e.perms());
        assertEquals("00:01", e.device());
    }

    @Test
    void fieldsOfOneLine() {
        MapsEntry e = MapsEntry.parse(
                "7f8d8048f000-7f8d8058f000 rw-s 00001000 00:01 26818                      /memfd:dev/ashmem/x (deleted)");
        assertEquals(0x7f8d8048f000L, e.start());
        assertEquals(0x7f8d8058f000L, e.end());
        assertEquals(0x1000, e.offset());
        assertEquals(26818, e.inode());
        assertEquals(1 << 20, e.sizeBytes());
    }

    @Test
    void lineWithoutPath() {
        MapsEntry e = MapsEntry.parse("55fd2350e000-55fd2351e000 rw-p 00000000 00:00 0 ");
        assertEquals("", e.path());
        MapsEntry bare = MapsEntry.parse("55fd2350e000-55fd2351e000 rw-p 00000000 00:00 0");
        assertEquals("", bare.path());
        assertEquals(0, bare.inode());
    }

    @Test
    void kernelAddressesAboveSignedRange() {
        MapsEntry e = MapsEntry.parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]");
        assertEquals(4096, e.sizeBytes());
        assertEquals("[vsyscall]", e.path());
    }

    @Test
    void garbageIsRefusedOrSkipped() {
        assertThrows(IllegalArgumentException.class, () -> MapsEntry.parse("Size:   4 kB"));
        assertThrows(IllegalArgumentException.class, () -> MapsEntry.parse("zz-yy rw-p"));
        assertEquals(1, MapsParser.parse("junk\n7f00-7f01 r--s 0 00:01 5 /memfd:a (deleted)\n\n").size());
    }
}
