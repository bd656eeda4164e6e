package org.ashmemd.ashmem;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Every live area, the global LRU of unpinned memory, and purging. One lock guards all of it, as
 * the driver's one mutex does; it is held only for bookkeeping and memory creation, never while
 * reading or freeing backing memory.
 */
public final class AreaRegistry {
    public static final int NOT_PURGED = 0;
    public static final int WAS_PURGED = 1;
    public static final int IS_UNPINNED = 0;
    public static final int IS_PINNED = 1;

    final ReentrantLock lock = new ReentrantLock();
    final Lru lru = new Lru();

    private final Condition purgeDone = lock.newCondition();
    private final BackingMemoryFactory factory;
    private final int pageSize;

    // Guarded by lock.
    private final Map<Long, Area> areas = new LinkedHashMap<>();
    private long nextId = 1;
    private int purgesInFlight;
    private volatile Consumer<Area> purgeListener = a -> { };
    /** Pages freed and purges that freed any, by {@link PurgeCause} ordinal: the only count of purges. */
    private final long[] purgedPages = new long[PurgeCause.values().length];
    private final long[] purgeBursts = new long[PurgeCause.values().length];

    /**
     * @param factory creates an area's backing memory at its first mmap
     * @param pageSize the host page size, a power of two (4096 on x86)
     */
    public AreaRegistry(BackingMemoryFactory factory, int pageSize) {
        this.factory = Objects.requireNonNull(factory, "factory");
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two: " + pageSize);
        }
        this.pageSize = pageSize;
    }

    public int pageSize() {
        return pageSize;
    }

    BackingMemoryFactory factory() {
        return factory;
    }

    /** A new area (an open of the device), with a unique positive id. */
    public Area open() {
        lock.lock();
        try {
            Area area = new Area(this, nextId++);
            areas.put(area.id(), area);
            return area;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Re-creates an area a previous daemon served, under its old id, from its recorded state and
     * (when it had been mapped) its memory, handed over from the previous daemon.
     *
     * @throws IllegalArgumentException when an area with that id exists already
     */
    public Area restore(AreaState state, BackingMemory memory) {
        if (state.hasBacking() != (memory != null)) {
            throw new IllegalArgumentException("area " + state.id() + ": backing memory "
                    + (memory == null ? "missing" : "given for an area never mapped"));
        }
        lock.lock();
        try {
            if (state.id() <= 0 || areas.containsKey(state.id())) {
                throw new IllegalArgumentException("area id " + state.id() + " is taken or invalid");
            }
            Area area = new Area(this, state.id());
            area.restoreLocked(state, memory);
            areas.put(area.id(), area);
            nextId = Math.max(nextId, state.id() + 1);
            return area;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Told which areas a purge changed (their ranges' purged marks): once the ranges are marked,
     * before their memory is freed, and again for an area where freeing failed and the marks were
     * taken back. The restart state records them. Runs on the purging thread, without the
     * registry lock.
     */
    public void setPurgeListener(Consumer<Area> listener) {
        this.purgeListener = Objects.requireNonNull(listener);
    }

    /**
     * The last close of an area: its ranges leave the LRU, the area is forgotten and its backing
     * memory is closed, at once or, if a read, seek, purge or lease still uses it, by the last of
     * them. Later calls do nothing.
     */
    public void release(Area area) {
        if (area.registry() != this) {
            throw new IllegalArgumentException(area + " belongs to another registry");
        }
        BackingMemory toClose;
        lock.lock();
        try {
            if (area.isReleasedLocked()) {
                return;
            }
            areas.remove(area.id());
            toClose = area.releaseLocked();
        } finally {
            lock.unlock();
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    /**
     * PURGE_ALL_CACHES (the caller's CAP_SYS_ADMIN is the device layer's check): returns the
     * number of unpinned, not purged pages system wide before purging (clamped to
     * Integer.MAX_VALUE), then purges every range on the LRU, least recently unpinned first.
     */
    public int purgeAllCaches() {
        long before = purge(Long.MAX_VALUE, PurgeCause.PURGE_ALL_CACHES)[0];
        return (int) Math.min(before, Integer.MAX_VALUE);
    }

    /**
     * Purges least recently unpinned ranges until at least {@code pages} pages were freed or the
     * LRU is empty (for memory pressure and the admin tool). Returns the pages actually freed. A
     * range whose memory cannot be freed (sealed against writes) is not counted, stays not purged
     * and goes to the LRU's tail; the purge goes on with the next range and ends when it meets
     * such a range again. The pages freed count under {@code cause}.
     */
    public long purgeOldest(long pages, PurgeCause cause) {
        Objects.requireNonNull(cause, "cause");
        if (pages <= 0) {
            return 0;
        }
        return purge(pages, cause)[1];
    }

    private record Punch(Range range, BackingMemory memory, long offset, long length) {
    }

    /** Returns {LRU pages before, pages freed}. */
    private long[] purge(long targetPages, PurgeCause cause) {
        Set<Range> failed = Collections.newSetFromMap(new IdentityHashMap<>());
        long before = -1;
        long freed = 0;
        while (freed < targetPages) {
            List<Punch> punches = new ArrayList<>();
            lock.lock();
            try {
                if (before < 0) {
                    before = lru.pages();
                }
                long planned = 0;
                Range r;
                while (planned < targetPages - freed && (r = lru.first()) != null && !failed.contains(r)) {
                    // Marked purged now, freed below without the lock; PIN waits meanwhile so
                    // that nobody rebuilds data the hole punch would then wipe.
                    lru.remove(r);
                    r.purged = true;
                    planned += r.pages();
                    punches.add(new Punch(r, r.area.beginBackingUseLocked(),
                            r.pgstart * pageSize, r.pages() * pageSize));
                }
                if (punches.isEmpty()) {
                    break;
                }
                purgesInFlight++;
            } finally {
                lock.unlock();
            }
            // the marks are told before the memory goes: whoever records them (the restart state)
            // then never says "not purged" of pages a hole punch already zeroed
            tellPurgeListener(punches, i -> true);
            freed += punch(punches, failed, cause);
        }
        if (freed > 0) {
            lock.lock();
            try {
                purgeBursts[cause.ordinal()]++;
            } finally {
                lock.unlock();
            }
        }
        return new long[] {before, freed};
    }

    /** Frees the memory of ranges already marked purged; returns the pages freed. */
    private long punch(List<Punch> punches, Set<Range> failed, PurgeCause cause) {
        boolean[] done = new boolean[punches.size()];
        RuntimeException error = null;
        for (int i = 0; i < punches.size(); i++) {
            Punch p = punches.get(i);
            if (p.length() == 0) {
                done[i] = true; // an empty range: nothing to free
                continue;
            }
            try {
                done[i] = p.memory().punchHole(p.offset(), p.length());
            } catch (RuntimeException e) {
                if (error == null) {
                    error = e;
                }
            }
        }

        long freedPages = 0;
        List<BackingMemory> toClose = new ArrayList<>();
        lock.lock();
        try {
            for (int i = 0; i < punches.size(); i++) {
                Range r = punches.get(i).range();
                if (done[i]) {
                    freedPages += punches.get(i).length() / pageSize;
                } else {
                    failed.add(r);
                    if (!r.deleted) {
                        // The pages are still there: reporting WAS_PURGED would make the client
                        // rebuild for nothing.
                        r.purged = false;
                        lru.addTail(r);
                    }
                }
                BackingMemory c = r.area.endBackingUseLocked();
                if (c != null) {
                    toClose.add(c);
                }
            }
            purgedPages[cause.ordinal()] += freedPages;
            if (--purgesInFlight == 0) {
                purgeDone.signalAll();
            }
        } finally {
            lock.unlock();
        }
        toClose.forEach(BackingMemory::close);
        tellPurgeListener(punches, i -> !done[i]); // marks taken back where the memory stayed
        if (error != null) {
            throw error;
        }
        return freedPages;
    }

    /** Tells the purge listener once per area of the punches {@code which} selects. */
    private void tellPurgeListener(List<Punch> punches, java.util.function.IntPredicate which) {
        Consumer<Area> listener = purgeListener;
        Set<Area> told = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < punches.size(); i++) {
            Area a = punches.get(i).range().area;
            if (which.test(i) && told.add(a)) {
                listener.accept(a);
            }
        }
    }

    /** PIN, UNPIN and GET_PIN_STATUS wait here while a purge is freeing memory. */
    void awaitNoPurgeInFlightLocked() {
        while (purgesInFlight > 0) {
            purgeDone.awaitUninterruptibly();
        }
    }

    /** Pages unpinned and not yet purged, across all areas: what purging could free now. */
    public long lruPages() {
        lock.lock();
        try {
            return lru.pages();
        } finally {
            lock.unlock();
        }
    }

    /** Pages freed by purges of every cause since the registry was created. */
    public long pagesPurgedTotal() {
        lock.lock();
        try {
            long total = 0;
            for (long pages : purgedPages) {
                total += pages;
            }
            return total;
        } finally {
            lock.unlock();
        }
    }

    /** Purges of one cause since the registry was created: pages freed, and purges that freed any. */
    public PurgeCount purged(PurgeCause cause) {
        lock.lock();
        try {
            return new PurgeCount(purgedPages[cause.ordinal()], purgeBursts[cause.ordinal()]);
        } finally {
            lock.unlock();
        }
    }

    public RegistryStats stats() {
        lock.lock();
        try {
            long mapped = 0;
            long totalSize = 0;
            long[] pages = new long[2];
            for (Area a : areas.values()) {
                if (a.hasBackingLocked()) {
                    mapped++;
                }
                totalSize += a.sizeLocked();
                a.countPagesLocked(pages);
            }
            return new RegistryStats(areas.size(), mapped, totalSize, pages[0], pages[1], lru.pages());
        } finally {
            lock.unlock();
        }
    }

    /** One snapshot per live area, by ascending id. */
    public List<AreaSnapshot> snapshot() {
        lock.lock();
        try {
            List<AreaSnapshot> out = new ArrayList<>(areas.size());
            for (Area a : areas.values()) {
                out.add(a.snapshotLocked());
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** The LRU, head first, as (area id, range) pairs: for tests and diagnostics. */
    List<LruEntry> lruEntries() {
        lock.lock();
        try {
            List<LruEntry> out = new ArrayList<>();
            for (Range r : lru.ranges()) {
                out.add(new LruEntry(r.area.id(), r.toRecord()));
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    record LruEntry(long areaId, UnpinnedRange range) {
    }
}
