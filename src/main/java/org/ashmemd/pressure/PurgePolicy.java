package org.ashmemd.pressure;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.ashmemd.ashmem.PurgeCause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When and how much to purge, without any kernel: a pressure event starts an episode of bursts
 * that ends when the stall share measured after a burst drops below the trigger's, when nothing
 * is left to purge, or when the daemon stops; the soft limit purges the oldest unpinned memory
 * down to the limit. Only one thread (the monitor's) calls {@link #onPressureEvent} and
 * {@link #enforceSoftLimit}; the event count may be read from any thread. What it purges is
 * counted where it is purged, by the {@link PurgeTarget}, under PRESSURE or SOFT_LIMIT.
 */
public final class PurgePolicy {
    private static final Logger log = LoggerFactory.getLogger(PurgePolicy.class);
    /** Bursts of one episode grow up to this many times the first. */
    static final int MAX_BURST_GROWTH = 64;
    private static final double MIB = 1024.0 * 1024.0;

    /** The current PSI reading, or null when it cannot be read. */
    @FunctionalInterface
    public interface PsiSource {
        PsiReading read();
    }

    /** Waits between bursts; false when the daemon is stopping. */
    @FunctionalInterface
    public interface Pause {
        boolean pause(long nanos);
    }

    private final PurgeTarget target;
    private final int pageSize;
    private final double easedShare;
    private final long windowNanos;
    private final long burstPages;
    private final long settleNanos;
    private final long softLimitBytes;

    private final AtomicLong events = new AtomicLong();
    /**
     * Unpinned pages left over the limit after the last enforcement (memory that cannot be
     * freed, such as ranges of write-sealed regions): no new attempt until that count changes.
     */
    private volatile long softLimitStuckPages;
    /** The reading that ended the last episode because pressure had eased; monitor thread only. */
    private PsiReading lastEased;

    /**
     * @param target        what is purged, and where purges are counted
     * @param config        the trigger (its stall share is the line under which pressure counts
     *                      as eased; none when only the soft limit is in use), bursts, soft limit
     * @param settleNanos   the time between a burst and the measurement that decides the next
     */
    public PurgePolicy(PurgeTarget target, int pageSize, PressureConfig config, long settleNanos) {
        if (pageSize <= 0) {
            throw new IllegalArgumentException("page size " + pageSize);
        }
        this.target = target;
        this.pageSize = pageSize;
        this.easedShare = config.trigger() != null ? config.trigger().stallRatio() : 0;
        this.windowNanos = config.trigger() != null ? config.trigger().windowMicros() * 1_000 : 0;
        this.burstPages = config.burstPages();
        this.settleNanos = settleNanos;
        this.softLimitBytes = config.unpinnedSoftLimitBytes();
    }

    /**
     * One PSI event: purges a burst, lets the system settle, measures the stall share over the
     * settling time, and purges a larger burst while it stays at or above the trigger's.
     * Returns the pages freed.
     *
     * <p>The kernel signals at most one event per window, so an event may report stall that the
     * previous episode already answered: an event within a window of an episode that ended with
     * pressure eased purges only if the stall share since that end is at the trigger's again.
     */
    public long onPressureEvent(PsiSource psi, Pause pause) {
        events.incrementAndGet();
        PsiReading before = psi.read();
        PsiReading eased = lastEased;
        lastEased = null;
        if (eased != null && before != null && before.atNanos() - eased.atNanos() < windowNanos) {
            double share = before.stallShareSince(eased);
            if (!Double.isNaN(share) && share < easedShare) {
                log.debug("memory pressure event (some avg10={}) for stall already answered: not purging",
                        avg10(before));
                lastEased = eased;
                return 0;
            }
        }
        long burst = burstPages;
        long freedTotal = 0;
        while (true) {
            long freed = target.purgeOldest(burst, PurgeCause.PRESSURE);
            if (freed <= 0) {
                if (freedTotal == 0) {
                    log.debug("memory pressure (some avg10={}), but nothing unpinned to purge", avg10(before));
                }
                return freedTotal;
            }
            freedTotal += freed;
            log.info("purged {} pages ({} MiB) under memory pressure (some avg10={})", freed, mib(freed),
                    avg10(before));
            PsiReading start = psi.read();
            if (!pause.pause(settleNanos)) {
                return freedTotal;
            }
            PsiReading end = psi.read();
            if (start == null || end == null) {
                return freedTotal; // cannot tell: the next event decides
            }
            double share = end.stallShareSince(start);
            if (Double.isNaN(share) || share < easedShare) {
                lastEased = end;
                return freedTotal;
            }
            before = end;
            burst = Math.min(burst * 2, burstPages * MAX_BURST_GROWTH);
        }
    }

    /** Whether unpinned memory is over the soft limit and worth an attempt; cheap. */
    public boolean overSoftLimit() {
        if (softLimitBytes <= 0) {
            return false;
        }
        long pages = target.unpinnedPages();
        return pages * (long) pageSize > softLimitBytes && pages != softLimitStuckPages;
    }

    /** Purges the least recently unpinned memory until the soft limit holds. Returns pages freed. */
    public long enforceSoftLimit() {
        if (softLimitBytes <= 0) {
            return 0;
        }
        long freedTotal = 0;
        while (true) {
            long pages = target.unpinnedPages();
            long over = pages * (long) pageSize - softLimitBytes;
            if (over <= 0) {
                softLimitStuckPages = 0;
                return freedTotal;
            }
            long freed = target.purgeOldest((over + pageSize - 1) / pageSize, PurgeCause.SOFT_LIMIT);
            if (freed <= 0) {
                softLimitStuckPages = pages;
                log.debug("{} MiB unpinned, over the soft limit of {} MiB, cannot be purged", mib(pages),
                        mibOfBytes(softLimitBytes));
                return freedTotal;
            }
            freedTotal += freed;
            log.info("purged {} pages ({} MiB) over the unpinned soft limit of {} MiB", freed, mib(freed),
                    mibOfBytes(softLimitBytes));
        }
    }

    /** PSI events received since start. */
    public long events() {
        return events.get();
    }

    private String mib(long pages) {
        return mibOfBytes(pages * pageSize);
    }

    private static String mibOfBytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / MIB);
    }

    private static String avg10(PsiReading r) {
        return r == null ? "?" : r.avg10Text();
    }
}
