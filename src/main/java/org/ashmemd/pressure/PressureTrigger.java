package org.ashmemd.pressure;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.ashmemd.units.Durations;

/**
 * A PSI trigger: fire when tasks were stalled on memory for at least {@code stallMicros} within
 * any {@code windowMicros} window. "some" counts time in which at least one task stalled, "full"
 * time in which all non-idle tasks stalled at once.
 *
 * @param kind         "some" or "full"
 * @param stallMicros  the stall threshold, 1 µs .. the window
 * @param windowMicros the tracking window, 500 ms .. 10 s
 */
public record PressureTrigger(Kind kind, long stallMicros, long windowMicros) {
    /** Older kernels (Debian's 6.1) refuse shorter windows. */
    public static final long MIN_WINDOW_MICROS = 500_000;
    /** The kernel's limit. */
    public static final long MAX_WINDOW_MICROS = 10_000_000;
    /** Without CAP_SYS_RESOURCE the kernel accepts only windows that are a multiple of this. */
    public static final long UNPRIVILEGED_WINDOW_STEP_MICROS = 2_000_000;

    public enum Kind {
        SOME, FULL;

        String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public PressureTrigger {
        Objects.requireNonNull(kind, "kind");
        if (windowMicros < MIN_WINDOW_MICROS || windowMicros > MAX_WINDOW_MICROS) {
            throw new IllegalArgumentException("the window must be 500ms..10s, not " + duration(windowMicros));
        }
        if (stallMicros <= 0 || stallMicros > windowMicros) {
            throw new IllegalArgumentException("the stall threshold must be more than 0 and at most the window ("
                    + duration(windowMicros) + "), not " + duration(stallMicros));
        }
    }

    /**
     * Parses {@code "some 150ms 1s"}: the kind, the stall threshold and the window, each a
     * duration as every option reads one ({@link Durations#parse}: "150ms", "1.5s", "70000us"; a
     * bare number is seconds), to the microsecond.
     *
     * @throws IllegalArgumentException with a message fit for the command line
     */
    public static PressureTrigger parse(String text) {
        String[] w = text.trim().split("\\s+");
        if (w.length != 3) {
            throw new IllegalArgumentException("bad pressure trigger '" + text
                    + "': expected 'some|full STALL WINDOW', e.g. 'some 150ms 1s'");
        }
        Kind kind;
        switch (w[0].toLowerCase(Locale.ROOT)) {
            case "some": kind = Kind.SOME; break;
            case "full": kind = Kind.FULL; break;
            default:
                throw new IllegalArgumentException("bad pressure trigger '" + text + "': '" + w[0]
                        + "' is neither 'some' nor 'full'");
        }
        try {
            return new PressureTrigger(kind, micros(w[1]), micros(w[2]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad pressure trigger '" + text + "': " + e.getMessage(), e);
        }
    }

    private static long micros(String s) {
        long nanos = Durations.parse(s).toNanos();
        if (nanos > MAX_WINDOW_MICROS * 1_000) {
            throw new IllegalArgumentException("'" + s + "' is out of range (0..10s)"
                    + (s.chars().allMatch(Character::isDigit) ? "; a bare number is seconds: write " + s
                            + "us for the kernel's microseconds" : ""));
        }
        if (nanos % 1_000 != 0) {
            throw new IllegalArgumentException("'" + s + "' is finer than a microsecond");
        }
        return nanos / 1_000;
    }

    /** The text written to the PSI file, without the terminating NUL. */
    public String kernelText() {
        return kind.word() + " " + stallMicros + " " + windowMicros;
    }

    /** The stall share of the window that makes the trigger fire (0.15 for 150ms in 1s). */
    public double stallRatio() {
        return (double) stallMicros / windowMicros;
    }

    /** Whether a process without CAP_SYS_RESOURCE may register it. */
    public boolean unprivilegedWindow() {
        return windowMicros % UNPRIVILEGED_WINDOW_STEP_MICROS == 0;
    }

    /** The form {@link #parse} reads, with the largest exact unit: "some 150ms 1s". */
    @Override
    public String toString() {
        return kind.word() + " " + duration(stallMicros) + " " + duration(windowMicros);
    }

    static String duration(long micros) {
        return Durations.exact(Duration.ofNanos(micros * 1_000));
    }
}
