package org.ashmemd.units;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations: "30s", "500ms", "150us", "1h30m", "1.5s", "PT10S" read (a bare number is seconds); "5m03s" printed. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h|d)");
    private static final Pattern BARE = Pattern.compile("\\d+(?:\\.\\d+)?");
    private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);
    /** The rule in words, for the man pages. */
    public static final String RULE = "A DURATION is one or more numbers with a unit each, decimals allowed: ns, us"
            + " (or µs), ms, s, m, h, d, as in 500ms, 1.5s, 1h30m; or ISO-8601 (PT10S). A bare number is seconds.";

    private Durations() {
    }

    /**
     * A duration as an option gives it: number-unit pairs with the units ns, us (µs), ms, s, m, h and
     * d, decimals allowed; a bare number is seconds; ISO-8601 too. Never negative.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static Duration parse(String text) {
        String v = text.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("p")) {
            Duration d;
            try {
                d = Duration.parse(v.toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw bad(text);
            }
            if (d.isNegative()) {
                throw bad(text);
            }
            return d;
        }
        if (BARE.matcher(v).matches()) {
            return ofNanos(new BigDecimal(v).movePointRight(9), text);
        }
        Matcher m = PART.matcher(v);
        int at = 0;
        BigDecimal nanos = BigDecimal.ZERO;
        while (at < v.length()) {
            if (!m.find(at) || m.start() != at) {
                throw bad(text);
            }
            BigDecimal n = new BigDecimal(m.group(1));
            switch (m.group(2)) {
                case "ns":
                    break;
                case "us":
                case "µs":
                    n = n.movePointRight(3);
                    break;
                case "ms":
                    n = n.movePointRight(6);
                    break;
                case "s":
                    n = n.movePointRight(9);
                    break;
                case "m":
                    n = n.multiply(BigDecimal.valueOf(60_000_000_000L));
                    break;
                case "h":
                    n = n.multiply(BigDecimal.valueOf(3_600_000_000_000L));
                    break;
                default:
                    n = n.multiply(BigDecimal.valueOf(86_400_000_000_000L));
                    break;
            }
            nanos = nanos.add(n);
            at = m.end();
        }
        if (at == 0) {
            throw bad(text);
        }
        return ofNanos(nanos, text);
    }

    private static Duration ofNanos(BigDecimal nanos, String text) {
        if (nanos.compareTo(MAX_NANOS) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        if (nanos.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + text + "' is finer than a nanosecond");
        }
        return Duration.ofNanos(nanos.longValueExact());
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("'" + text + "' is not a duration (e.g. 30s, 500ms, 150us, 5m, 1h30m;"
                + " a bare number is seconds)");
    }

    /** In the largest unit that holds it exactly, in the form {@link #parse} reads: "10s", "150ms", "1500us". */
    public static String exact(Duration d) {
        long n = d.toNanos();
        if (n == 0) {
            return "0s";
        }
        if (n % 1_000_000_000L == 0) {
            return n / 1_000_000_000L + "s";
        }
        if (n % 1_000_000L == 0) {
            return n / 1_000_000L + "ms";
        }
        if (n % 1_000L == 0) {
            return n / 1_000L + "us";
        }
        return n + "ns";
    }

    /** Whole seconds for people, two units at most: 42s, 5m03s, 2h07m, 3d04h. */
    public static String format(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86400) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", seconds / 86400, (seconds % 86400) / 3600);
    }
}
