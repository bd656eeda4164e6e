package org.ashmemd.pressure;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;

/** A purge target over test fakes that counts purges by cause as the area registry does. */
final class CountingTarget implements PurgeTarget {
    private final LongUnaryOperator purge;
    private final LongSupplier unpinned;
    /** {pages, bursts} by cause. */
    private final Map<PurgeCause, long[]> purged = new EnumMap<>(PurgeCause.class);

    CountingTarget(LongUnaryOperator purge, LongSupplier unpinned) {
        this.purge = purge;
        this.unpinned = unpinned;
    }

    @Override
    public long purgeOldest(long pages, PurgeCause cause) {
        long freed = purge.applyAsLong(pages);
        if (freed > 0) {
            synchronized (purged) {
                long[] c = purged.computeIfAbsent(cause, k -> new long[2]);
                c[0] += freed;
                c[1]++;
            }
        }
        return freed;
    }

    @Override
    public long unpinnedPages() {
        return unpinned.getAsLong();
    }

    @Override
    public PurgeCount purged(PurgeCause cause) {
        synchronized (purged) {
            long[] c = purged.getOrDefault(cause, new long[2]);
            return new PurgeCount(c[0], c[1]);
        }
    }
}
