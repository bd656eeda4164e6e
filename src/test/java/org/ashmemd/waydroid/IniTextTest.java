package org.ashmemd.waydroid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Line-based edits of waydroid.cfg: only the one key changes, every other byte stays. */
class IniTextTest {
    private static String set(String text) {
        return IniText.parse(text).set("properties", "sys.use_memfd", "false").toString();
    }

    @Test
    void addsAfterTheSectionsLastEntryBeforeBlankLines() {
        String t = "[waydroid]\narch = x86_64\n\n[properties]\na = 1\n# a comment\nb = 2\n\n\n[other]\nc = 3\n";
        assertEquals("[waydroid]\narch = x86_64\n\n[properties]\na = 1\n# a comment\nb = 2\nsys.use_memfd = false\n\n\n"
                + "[other]\nc = 3\n", set(t));
    }

    @Test
    void emptySectionAsConfigparserWritesIt() {
        assertEquals("[waydroid]\narch = arm64\n\n[properties]\nsys.use_memfd = false\n\n",
                set("[waydroid]\narch = arm64\n\n[properties]\n\n"));
    }

    @Test
    void missingSectionIsAppended() {
        assertEquals("[waydroid]\narch = x86\n\n[properties]\nsys.use_memfd = false\n", set("[waydroid]\narch = x86\n"));
        assertEquals("[waydroid]\narch = x86\n\n[properties]\nsys.use_memfd = false\n", set("[waydroid]\narch = x86"));
        assertEquals("[properties]\nsys.use_memfd = false\n", set(""));
    }

    @Test
    void existingValueChangesInItsOwnSpelling() {
        assertEquals("[properties]\nSys.Use_Memfd=false\nx = y\n", set("[properties]\nSys.Use_Memfd=true\nx = y\n"));
        assertEquals("[properties]\nsys.use_memfd : false\n", set("[properties]\nsys.use_memfd : true\n"));
        assertEquals("[properties]\nsys.use_memfd = false\nx = 1\n",
                set("[properties]\nsys.use_memfd = true\n  continued\nx = 1\n"));
    }

    @Test
    void sameKeyInAnotherSectionIsNotTouched() {
        String t = "[waydroid]\nsys.use_memfd = true\n\n[properties]\n";
        assertEquals("[waydroid]\nsys.use_memfd = true\n\n[properties]\nsys.use_memfd = false\n", set(t));
        assertEquals(Optional.of("true"), IniText.parse(t).get("waydroid", "sys.use_memfd"));
        assertEquals(Optional.empty(), IniText.parse(t).get("properties", "sys.use_memfd"));
    }

    @Test
    void headerWithTextAfterItIsStillTheSection() {
        // configparser takes the name up to the last ']' and ignores what follows
        assertEquals("[properties] ; overrides\na = 1\nsys.use_memfd = false\n", set("[properties] ; overrides\na = 1\n"));
    }

    @Test
    void crlfAndOddBytesSurvive() {
        String t = "[properties]\r\nname = caf\u00e9 \u00ff\u0001\r\n";
        String s = set(t);
        assertEquals("[properties]\r\nname = caf\u00e9 \u00ff\u0001\r\nsys.use_memfd = false\r\n", s);
        assertEquals(t, IniText.parse(s).remove("properties", "sys.use_memfd").toString());
    }

    @Test
    void removeTakesOutOnlyTheKey() {
        String before = "[properties]\na = 1\n\n";
        assertEquals(before, IniText.parse(set(before)).remove("properties", "sys.use_memfd").toString());
        String noEol = "[properties]\na = 1";
        String withKey = set(noEol);
        assertTrue(withKey.endsWith("sys.use_memfd = false\n"), withKey);
        assertEquals("[properties]\na = 1\n", IniText.parse(withKey).remove("properties", "sys.use_memfd").toString());
    }
}
