package org.ashmemd.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EscapeTest {
    /** Nothing a terminal acts on, and nothing that reorders or hides text. */
    static void assertPrintable(String shown) {
        for (int i = 0; i < shown.length();) {
            int cp = shown.codePointAt(i);
            i += Character.charCount(cp);
            assertFalse(cp < 0x20 || cp >= 0x7F && cp <= 0x9F, () -> "control U+" + Integer.toHexString(cp) + " in " + shown);
            assertFalse(Character.getType(cp) == Character.FORMAT && cp != 0x200D,
                    () -> "format character U+" + Integer.toHexString(cp) + " in " + shown);
            assertFalse(Character.getType(cp) == Character.SURROGATE, () -> "lone surrogate in " + shown);
            assertFalse(cp == 0x2028 || cp == 0x2029, () -> "line separator in " + shown);
        }
    }

    @Test
    void plainTextIsReturnedAsItIs() {
        String s = "dalvik-main space (region space)";
        assertSame(s, Escape.text(s));
        assertEquals("Grüße 日本 🙂", Escape.text("Grüße 日本 🙂"));
    }

    @Test
    void terminalEscapesAndLineBreaksBecomeVisible() {
        assertEquals("a\\x1b[31mred\\x1b[0m", Escape.text("a\u001b[31mred\u001b[0m"));
        assertEquals("one\\ntwo\\rthree\\tfour", Escape.text("one\ntwo\rthree\tfour"));
        assertEquals("nul\\x00bel\\x07del\\x7f", Escape.text("nul\0bel\u0007del\u007f"));
        assertEquals("csi\\u009b2J nel\\u0085", Escape.text("csi\u009b2J nel\u0085"));
        assertEquals("\\\\x1b is text", Escape.text("\\x1b is text"));
    }

    @Test
    void bidiAndInvisibleCharactersBecomeVisible() {
        assertEquals("invoice\\u202efdp.exe", Escape.text("invoice\u202efdp.exe"));
        assertEquals("\\u2066a\\u2069 \\u200bz\\ufeff", Escape.text("\u2066a\u2069 \u200bz\ufeff"));
        assertEquals("line\\u2028para\\u2029", Escape.text("line\u2028para\u2029"));
        assertEquals("tag\\U000e0041", Escape.text("tag\uDB40\uDC41"));
        assertEquals("👩\u200d💻", Escape.text("👩\u200d💻"), "the emoji joiner stays");
    }

    @Test
    void invalidUtf8BytesAreShownByteForByte() {
        byte[] raw = {'a', (byte) 0xff, (byte) 0xc3, '(', (byte) 0xe2, (byte) 0x80, 'z', (byte) 0xed, (byte) 0xa0,
            (byte) 0x80, (byte) 0xc0, (byte) 0xaf};
        assertEquals("a\\xff\\xc3(\\xe2\\x80z\\xed\\xa0\\x80\\xc0\\xaf", Escape.bytes(raw));
        assertFalse(Escape.isUtf8(raw));
        assertEquals("a\ufffd\ufffd(", Escape.decode(raw).substring(0, 4));
        assertEquals("é‮", Escape.bytes("é\u202e".getBytes(StandardCharsets.UTF_8)).substring(0, 1) + "‮");
        assertEquals("\\u202e", Escape.bytes("\u202e".getBytes(StandardCharsets.UTF_8)));
        assertTrue(Escape.isUtf8("日本\u001b".getBytes(StandardCharsets.UTF_8)));
        assertEquals("", Escape.bytes(new byte[0]));
    }

    @Test
    void loneSurrogatesInStringsAreEscaped() {
        assertEquals("x\\ud800y\\udfff", Escape.text("x\ud800y\udfff"));
        assertEquals("\\xff", Escape.text(Escape.decodeLossless(new byte[] {(byte) 0xff})));
    }

    @Test
    void randomBytesAlwaysComeOutPrintableOnOneLineAndDistinct() {
        Random rnd = new Random(42);
        Map<String, byte[]> seen = new HashMap<>();
        for (int n = 0; n < 20_000; n++) {
            byte[] raw = new byte[rnd.nextInt(24)];
            for (int i = 0; i < raw.length; i++) {
                // mostly the interesting ranges: controls, backslash, UTF-8 lead and continuation bytes
                int pick = rnd.nextInt(6);
                raw[i] = (byte) (pick == 0 ? rnd.nextInt(0x20) : pick == 1 ? '\\' : pick == 2 ? 0x80 + rnd.nextInt(0x40)
                        : pick == 3 ? 0xc0 + rnd.nextInt(0x40) : pick == 4 ? 'x' : rnd.nextInt(256));
            }
            String shown = Escape.bytes(raw);
            assertPrintable(shown);
            byte[] before = seen.put(shown, raw);
            if (before != null) {
                assertArrayEquals(before, raw, () -> "two inputs shown as " + shown);
            }
            if (Escape.isUtf8(raw)) {
                assertEquals(Escape.text(Escape.decode(raw)), shown);
            }
        }
    }

    @Test
    void veryLongNamesAreEscapedWhole() {
        String s = ("\u001b[2J\n" + "x".repeat(100)).repeat(1000);
        String shown = Escape.text(s);
        assertPrintable(shown);
        assertEquals(s.length() + 1000 * (4 + 2 - 2), shown.length());
        assertEquals(shown.length(), Escape.width(shown));
    }

    @Test
    void widthCountsTerminalColumns() {
        assertEquals(5, Escape.width("hello"));
        assertEquals(4, Escape.width("日本"));
        assertEquals(1, Escape.width("e\u0301"), "a combining accent takes no column");
        assertEquals(2, Escape.width("🙂"));
        assertEquals(1, Escape.width("\ufffd"));
        assertEquals(0, Escape.width(""));
    }

    @Test
    void hexRoundTrips() {
        byte[] raw = {0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff, 'A'};
        assertEquals("00017f80ff41", Escape.hex(raw));
        assertArrayEquals(raw, Escape.unhex("00017f80ff41"));
        assertArrayEquals(raw, Escape.unhex("00017F80FF41"));
        assertThrows(IllegalArgumentException.class, () -> Escape.unhex("0"));
        assertThrows(IllegalArgumentException.class, () -> Escape.unhex("zz"));
        assertNotEquals(Escape.hex(new byte[] {1}), Escape.hex(new byte[] {16}));
    }

    @Test
    void nullIsShownAsNull() {
        assertEquals("null", Escape.text(null));
    }
}
