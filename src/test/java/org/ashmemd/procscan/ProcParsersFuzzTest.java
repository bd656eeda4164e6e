package org.ashmemd.procscan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Arbitrary contents of the /proc files the scanner and the daemon read, into their parsers: the
 * first byte picks the file (0 maps, 1 smaps, 2 status, 3 cgroup, 4 comm), the rest is its
 * content, decoded as the readers decode it. Every parser takes any content: lines it does not
 * understand are skipped, never an exception, and what it returns is consistent with the text
 * (no more mappings than lines, no field with a line break, a container name for every cgroup
 * file). Jazzer's per-input time limit catches a parser that goes quadratic.
 *
 * <p>Replays {@code ProcParsersFuzzTestInputs/procFile/} in every test run; {@code JAZZER_FUZZ=1}
 * fuzzes it.
 */
class ProcParsersFuzzTest {
    private static final AshmemClassifier CLASSIFIER = new AshmemClassifier(AshmemClassifier.DEFAULT_DEVICE, null);

    @FuzzTest(maxDuration = "12m")
    void procFile(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] raw = Arrays.copyOfRange(input, 1, input.length);
        String text = new String(raw, StandardCharsets.UTF_8);
        long lines = text.chars().filter(c -> c == '\n').count() + 1;
        switch (input[0] & 0x7) {
            case 0 -> maps(text, lines);
            case 1 -> smaps(text, lines);
            case 2 -> status(text);
            case 3 -> cgroup(text, lines);
            case 4 -> comm(raw);
            default -> {
                // the other selector values read the same file as their low bits' twin would
                maps(text, lines);
                cgroup(text, lines);
            }
        }
    }

    private static void maps(String text, long lines) {
        List<MapsEntry> all = MapsParser.parse(text);
        assertTrue(all.size() <= lines);
        for (MapsEntry e : all) {
            noLineBreak(e.path());
            noLineBreak(e.perms());
            assertFalse(e.perms().contains(" ") || e.device().contains(" "), e.toString());
            assertTrue(e.livePath().length() <= e.path().length());
            e.sizeBytes();
            e.shared();
            assertEquals(e, MapsEntry.parse(line(e, text)), "the line parses to the same mapping alone");
            if (CLASSIFIER.ofPath(e.path()) != null) {
                String name = AshmemClassifier.regionName(e.path());
                assertTrue(e.path().contains(name), name);
            }
        }
        // the filter only drops mappings
        assertEquals(all.stream().filter(MapsEntry::shared).count(), MapsParser.parse(text, MapsEntry::shared).size());
    }

    /** The line of {@code text} a mapping came from. */
    private static String line(MapsEntry e, String text) {
        for (String l : text.split("\n", -1)) {
            try {
                if (MapsEntry.parse(l).equals(e)) {
                    return l;
                }
            } catch (IllegalArgumentException ignored) {
                // another line
            }
        }
        throw new AssertionError("no line parses to " + e);
    }

    private static void smaps(String text, long lines) {
        List<SmapsEntry> all = SmapsParser.parse(text);
        assertTrue(all.size() <= lines);
        for (SmapsEntry s : all) {
            noLineBreak(s.mapping().path());
            noLineBreak(s.vmFlags());
            s.sizeBytes();
            s.rssBytes();
            s.pssBytes();
            s.swapBytes();
            s.swapPssBytes();
        }
        assertTrue(SmapsParser.parse(text, e -> false).isEmpty());
        assertTrue(MapsParser.parse(text).size() >= all.size(), "a mapping in smaps that maps would not have");
    }

    private static void status(String text) {
        ProcStatus s = ProcStatus.parse(text);
        assertNotNull(s.name());
        noLineBreak(s.name());
        s.uid();
        s.groups();
        for (String key : s.fields().keySet()) {
            noLineBreak(key);
            noLineBreak(s.field(key));
            assertTrue(s.bytes(key) >= -1 || s.field(key).trim().startsWith("-"), key + ": " + s.field(key));
        }
        // a key with ':' cannot come out of a status file (the key ends at the first ':'); a plain
        // "no such field" can, and the fuzzer wrote one
        assertEquals(-1, s.bytes("no:such:field"));
    }

    private static void cgroup(String text, long lines) {
        Cgroups c = Cgroups.parse(text);
        assertTrue(c.entries().size() <= lines);
        for (Cgroups.Entry e : c.entries()) {
            noLineBreak(e.path());
            assertNotNull(ContainerNames.fromPath(e.path()));
        }
        assertNotNull(c.primaryPath());
        assertTrue(c.pathsByPreference().size() <= c.entries().size());
        String container = ContainerNames.of(c);
        assertNotNull(container);
        noLineBreak(container);
        assertNotNull(ContainerNames.shortId(container));
    }

    private static void comm(byte[] raw) {
        String name = Comm.parse(raw);
        assertNotNull(name);
        // U+FFFD for each invalid byte at most, one character per byte otherwise
        assertTrue(name.codePointCount(0, name.length()) <= raw.length);
    }

    private static void noLineBreak(String s) {
        assertFalse(s != null && s.indexOf('\n') >= 0, "a line break inside one field: " + s);
    }
}
