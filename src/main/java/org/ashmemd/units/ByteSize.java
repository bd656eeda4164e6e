package org.ashmemd.units;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts: "4096", "512K", "1.5M", "16G", "1MiB" read (powers of 1024); "12.5M" printed. */
public final class ByteSize {
    private static final String UNITS = "KMGTPE";
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*(?:([KMGTPE])(?:I?B)?|B)?");
    private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE);
    /** The rule in words, for the man pages. */
    public static final String RULE = "A SIZE is a number, decimals allowed, with an optional unit K, M, G, T, P or E"
            + " (powers of 1024; KB, KiB and k mean the same): 4096, 512K, 1.5M, 16G. A bare number is bytes; a"
            + " fraction of a byte is rounded to the nearest byte.";

    private ByteSize() {
    }

    /**
     * A size as an option gives it: a number (decimals allowed) and an optional unit; a bare
     * number is bytes, a fraction of a byte is rounded to the nearest byte.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms, or the range
     */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 4096, 512K, 1.5M, 16G)");
        }
        int shift = m.group(2) == null ? 0 : 10 * (UNITS.indexOf(m.group(2)) + 1);
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift))
                .setScale(0, RoundingMode.HALF_UP);
        if (bytes.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large a size (at most 8E)");
        }
        return bytes.longValueExact();
    }

    /** For people: 512, 4.0K, 12.5M, 3.1G (powers of 1024, one decimal). */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return Long.toString(bytes);
        }
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < UNITS.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f%c", v, UNITS.charAt(u));
    }
}
