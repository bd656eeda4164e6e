package org.ashmemd.logging;

import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Warnings about client misbehaviour, at most a few lines a second: a flood of bad requests must
 * not flood the log. Lines beyond the budget are counted and reported in one summary line, written
 * with the next warning of a later second or by {@link #flush()}, whichever comes first.
 */
public final class RateLimitedLogger {
    private final Logger log;
    private final int linesPerSecond;
    private final LongSupplier clock;
    private long second = Long.MIN_VALUE;
    private int lines;
    private long suppressed;

    public RateLimitedLogger(Logger log, int linesPerSecond, LongSupplier nanoClock) {
        this.log = log;
        this.linesPerSecond = linesPerSecond;
        this.clock = nanoClock;
    }

    public void warn(String format, Object... args) {
        long s;
        boolean emit;
        long dropped = 0;
        synchronized (this) {
            s = clock.getAsLong() / 1_000_000_000L;
            if (s != second) {
                dropped = suppressed;
                second = s;
                lines = 0;
                suppressed = 0;
            }
            emit = lines++ < linesPerSecond;
            if (!emit) {
                suppressed++;
            }
        }
        if (dropped > 0) {
            log.warn("{} similar warnings suppressed in the previous second", dropped);
        }
        if (emit) {
            log.warn(format, args);
        }
    }

    /**
     * Writes the summary of a past second now, so that a burst followed by silence is still
     * reported; the owner calls it from a periodic task.
     */
    public void flush() {
        long dropped;
        synchronized (this) {
            long s = clock.getAsLong() / 1_000_000_000L;
            if (s == second || suppressed == 0) {
                return;
            }
            dropped = suppressed;
            suppressed = 0;
        }
        log.warn("{} similar warnings suppressed in the previous second", dropped);
    }
}
