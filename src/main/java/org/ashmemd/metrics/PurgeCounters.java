package org.ashmemd.metrics;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts purges by cause for the purges the daemon runs itself (PURGE_ALL_CACHES, the admin
 * command); thread-safe.
 */
public final class PurgeCounters {
    private final Map<PurgeCause, LongAdder[]> counts = new EnumMap<>(PurgeCause.class);

    public PurgeCounters() {
        for (PurgeCause c : PurgeCause.values()) {
            counts.put(c, new LongAdder[] {new LongAdder(), new LongAdder()});
        }
    }

    /** One purge that freed {@code pages} pages; a purge that freed nothing is no burst. */
    public void record(PurgeCause cause, long pages) {
        if (pages <= 0) {
            return;
        }
        LongAdder[] c = counts.get(cause);
        c[0].add(pages);
        c[1].increment();
    }

    public PurgeCount get(PurgeCause cause) {
        LongAdder[] c = counts.get(cause);
        return new PurgeCount(c[0].sum(), c[1].sum());
    }
}
