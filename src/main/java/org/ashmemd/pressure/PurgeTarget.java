package org.ashmemd.pressure;

import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;

/** The memory the policy purges (the daemon's area registry), which also counts every purge. */
public interface PurgeTarget {
    /**
     * Purges at least {@code pages} pages, least recently unpinned first, counted under {@code
     * cause}; returns the pages freed (fewer when the LRU ran out).
     */
    long purgeOldest(long pages, PurgeCause cause);

    /**
     * Pages in unpinned, not purged ranges now; called after every UNPIN when a soft limit is
     * set, so it must be cheap.
     */
    long unpinnedPages();

    /** Purges of {@code cause} so far. */
    PurgeCount purged(PurgeCause cause);
}
