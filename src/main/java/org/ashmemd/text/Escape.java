package org.ashmemd.text;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one escaping function for text a client chose, before it reaches a terminal or a log line.
 *
 * <p>What is escaped, and how:
 * <ul>
 * <li>backslash as {@code \\}, so that every escape can be told from the text around it;</li>
 * <li>C0 controls and DEL: {@code \n}, {@code \r}, {@code \t}, else {@code \xNN} (so ESC is
 *     {@code \x1b} and NUL {@code \x00});</li>
 * <li>C1 controls (U+0080..U+009F: a terminal may read U+009B as CSI), format characters
 *     (bidi overrides such as U+202E, zero-width and invisible characters; the zero-width
 *     joiner of emoji stays) and the line and paragraph separators: {@code \}{@code uNNNN},
 *     or {@code \}{@code U00NNNNNN} above the BMP;</li>
 * <li>bytes that are not UTF-8, after {@link #decodeLossless}: {@code \xNN} per byte; other
 *     lone surrogates as {@code \}{@code uNNNN}.</li>
 * </ul>
 * The result is printable, holds no line break, and maps back to the original unambiguously.
 */
public final class Escape {
    /** Lone low surrogates U+DC80..U+DCFF stand for undecodable bytes 0x80..0xFF. */
    private static final int BYTE_SURROGATE_BASE = 0xDC00;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Escape() {
    }

    /** {@code s} escaped for a terminal or a log line; {@code null} becomes "null". */
    public static String text(CharSequence s) {
        if (s == null) {
            return "null";
        }
        int n = s.length();
        int i = 0;
        while (i < n && !needsEscape(s, i)) {
            i += pairAt(s, i) ? 2 : 1;
        }
        if (i == n) {
            return s.toString();
        }
        StringBuilder b = new StringBuilder(n + 16);
        b.append(s, 0, i);
        while (i < n) {
            char c = s.charAt(i);
            if (pairAt(s, i)) {
                int cp = Character.toCodePoint(c, s.charAt(i + 1));
                if (escapedCodePoint(cp)) {
                    b.append("\\U");
                    hex(b, cp, 8);
                } else {
                    b.append(c).append(s.charAt(i + 1));
                }
                i += 2;
                continue;
            }
            escapeChar(b, c);
            i++;
        }
        return b.toString();
    }

    /** Bytes from a client (a region name, a /proc file): decoded losslessly, then escaped. */
    public static String bytes(byte[] raw) {
        return text(decodeLossless(raw));
    }

    /**
     * Decodes UTF-8 keeping every byte: a byte that is not part of a valid sequence becomes the
     * lone surrogate U+DC80..U+DCFF, which {@link #text} shows as {@code \xNN}. For display
     * only: such a string cannot be encoded again (use {@link #decode} for JSON).
     */
    public static String decodeLossless(byte[] raw) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(raw);
        CharBuffer out = CharBuffer.allocate(raw.length + 1); // never more chars than bytes
        for (;;) {
            CoderResult r = d.decode(in, out, true);
            if (r.isUnderflow()) {
                break;
            }
            if (r.isError()) {
                for (int k = 0; k < r.length(); k++) {
                    out.put((char) (BYTE_SURROGATE_BASE | (in.get() & 0xff)));
                }
            } else {
                throw new IllegalStateException("decoder overflow: " + r); // cannot happen: sized above
            }
        }
        d.flush(out);
        out.flip();
        return out.toString();
    }

    /** UTF-8 with U+FFFD for each invalid sequence (what {@code new String(bytes, UTF_8)} does). */
    public static String decode(byte[] raw) {
        return new String(raw, StandardCharsets.UTF_8);
    }

    /** Whether {@code raw} is valid UTF-8, i.e. {@link #decode} is exact. */
    public static boolean isUtf8(byte[] raw) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /** Lower-case hex of the bytes. */
    public static String hex(byte[] raw) {
        StringBuilder b = new StringBuilder(raw.length * 2);
        for (byte x : raw) {
            b.append(HEX[(x >> 4) & 0xf]).append(HEX[x & 0xf]);
        }
        return b.toString();
    }

    /** The bytes of a {@link #hex} string; throws IllegalArgumentException on anything else. */
    public static byte[] unhex(String hex) {
        if (hex.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(hex.charAt(2 * i), 16);
            int lo = Character.digit(hex.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not a hex digit at " + 2 * i);
            }
            out[i] = (byte) (hi << 4 | lo);
        }
        return out;
    }

    /**
     * Terminal columns the text takes: 0 for combining marks, 2 for East Asian wide and
     * fullwidth characters and most emoji, else 1. Meant for escaped text (no controls left).
     */
    public static int width(CharSequence s) {
        int w = 0;
        for (int i = 0; i < s.length();) {
            int cp = Character.codePointAt(s, i);
            i += Character.charCount(cp);
            w += width(cp);
        }
        return w;
    }

    static int width(int cp) {
        if (cp < 0x300) {
            return 1;
        }
        int t = Character.getType(cp);
        if (t == Character.NON_SPACING_MARK || t == Character.ENCLOSING_MARK || cp == 0x200D) {
            return 0;
        }
        return wide(cp) ? 2 : 1;
    }

    private static boolean wide(int cp) {
        return cp >= 0x1100 && cp <= 0x115F || cp >= 0x2E80 && cp <= 0x303E || cp >= 0x3041 && cp <= 0x33FF
                || cp >= 0x3400 && cp <= 0x4DBF || cp >= 0x4E00 && cp <= 0x9FFF || cp >= 0xA000 && cp <= 0xA4CF
                || cp >= 0xAC00 && cp <= 0xD7A3 || cp >= 0xF900 && cp <= 0xFAFF || cp >= 0xFE30 && cp <= 0xFE4F
                || cp >= 0xFF00 && cp <= 0xFF60 || cp >= 0xFFE0 && cp <= 0xFFE6 || cp >= 0x1F300 && cp <= 0x1F64F
                || cp >= 0x1F900 && cp <= 0x1F9FF || cp >= 0x20000 && cp <= 0x2FFFD || cp >= 0x30000 && cp <= 0x3FFFD;
    }

    private static boolean pairAt(CharSequence s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }

    private static boolean needsEscape(CharSequence s, int i) {
        char c = s.charAt(i);
        if (c >= 0x20 && c < 0x7F && c != '\\') {
            return false;
        }
        if (pairAt(s, i)) {
            return escapedCodePoint(Character.toCodePoint(c, s.charAt(i + 1)));
        }
        return c == '\\' || Character.isSurrogate(c) || escapedCodePoint(c);
    }

    /** Controls, format characters (bidi, invisible) except ZWJ, line and paragraph separators. */
    private static boolean escapedCodePoint(int cp) {
        if (cp < 0x20 || cp >= 0x7F && cp <= 0x9F) {
            return true;
        }
        if (cp < 0xA0) {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.FORMAT && cp != 0x200D || t == Character.LINE_SEPARATOR
                || t == Character.PARAGRAPH_SEPARATOR;
    }

    private static void escapeChar(StringBuilder b, char c) {
        switch (c) {
            case '\\':
                b.append("\\\\");
                return;
            case '\n':
                b.append("\\n");
                return;
            case '\r':
                b.append("\\r");
                return;
            case '\t':
                b.append("\\t");
                return;
            default:
                break;
        }
        if (c < 0x20 || c == 0x7F) {
            b.append("\\x");
            hex(b, c, 2);
        } else if (c >= 0xDC80 && c <= 0xDCFF) {
            b.append("\\x");
            hex(b, c & 0xff, 2);
        } else if (Character.isSurrogate(c) || escapedCodePoint(c)) {
            b.append("\\u");
            hex(b, c, 4);
        } else {
            b.append(c);
        }
    }

    private static void hex(StringBuilder b, int v, int digits) {
        for (int k = digits - 1; k >= 0; k--) {
            b.append(HEX[(v >> (4 * k)) & 0xf]);
        }
    }
}
