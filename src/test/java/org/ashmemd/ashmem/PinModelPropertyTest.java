package org.ashmemd.ashmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.junit.jupiter.api.Test;

/**
 * Seeded random operation sequences on several areas, checked after every step against a
 * page-by-page reference model: every page is pinned or owned by an unpinned range (whose id is
 * also its place on the LRU: a new range always joins the tail), plus the empty ranges {@code [n,
 * n - 1]} of each area. The model states the rules on pages and page sets rather than as a list
 * walk: PIN pins its pages and reports whether any of them (or an empty range, when the span
 * reaches the last page) was purged; UNPIN of a span some single range already covers changes
 * nothing, otherwise the span and every range sharing a page with it become one new range whose
 * purged flag is the OR of theirs.
 */
class PinModelPropertyTest {
    static final int PAGE = 4096;
    static final long U32 = 0xffff_ffffL;

    @Test
    void manyShortSequencesOnSmallAreas() {
        runTrials(0x5eed_0001L, 4000, 12, 80);
    }

    @Test
    void fewerLongSequencesOnLargerAreas() {
        runTrials(0x5eed_0002L, 300, 64, 400);
    }

    private static void runTrials(long baseSeed, int trials, int maxPages, int maxOps) {
        for (int t = 0; t < trials; t++) {
            long seed = baseSeed * 1_000_003L + t;
            try {
                new Trial(new Random(seed), maxPages).run(maxOps);
            } catch (AssertionError | ErrnoException e) {
                throw new AssertionError("seed " + seed + ": " + e, e);
            }
        }
    }

    /** One model area. */
    static final class ModelArea {
        final Area area;
        final int n;
        /** 0: pinned; otherwise the id of the unpinned range that holds the page. */
        final long[] owner;
        /** Ids of the empty ranges, newest first. */
        final List<Long> empties = new ArrayList<>();
        final List<String> expectedPunches = new ArrayList<>();
        boolean mapped;
        boolean sealed;

        ModelArea(Area area, int n) {
            this.area = area;
            this.n = n;
            this.owner = new long[n];
        }

        long first(long id) {
            for (int p = 0; p < n; p++) {
                if (owner[p] == id) {
                    return p;
                }
            }
            throw new AssertionError("no page of range " + id);
        }

        long last(long id) {
            for (int p = n - 1; p >= 0; p--) {
                if (owner[p] == id) {
                    return p;
                }
            }
            throw new AssertionError("no page of range " + id);
        }
    }

    /** A range as the model sees it. */
    record ModelRange(long id, ModelArea area, long pgstart, long pgend) {
        long pages() {
            return pgend - pgstart + 1;
        }
    }

    static final class Trial {
        final Random rnd;
        final FakeFactory factory = new FakeFactory();
        final AreaRegistry registry = new AreaRegistry(factory, PAGE);
        final List<ModelArea> areas = new ArrayList<>();
        final Map<Long, Boolean> purged = new HashMap<>();
        long nextId = 1;

        Trial(Random rnd, int maxPages) throws ErrnoException {
            this.rnd = rnd;
            int count = 1 + rnd.nextInt(3);
            for (int i = 0; i < count; i++) {
                int n = 1 + rnd.nextInt(maxPages);
                long size = (long) n * PAGE - (rnd.nextBoolean() ? rnd.nextInt(PAGE) : 0);
                Area area = registry.open();
                area.setSize(size);
                ModelArea m = new ModelArea(area, n);
                areas.add(m);
                if (rnd.nextInt(5) != 0) {
                    map(m);
                }
            }
        }

        void map(ModelArea m) throws ErrnoException {
            FakeBacking b = (FakeBacking) FakeFactory.map(m.area, (long) m.n * PAGE, Prot.READ | Prot.WRITE);
            m.mapped = true;
            m.sealed = rnd.nextInt(6) == 0;
            b.sealed = m.sealed;
        }

        long newRange(boolean isPurged) {
            long id = nextId++;
            purged.put(id, isPurged);
            return id;
        }

        void run(int maxOps) throws ErrnoException {
            int ops = 1 + rnd.nextInt(maxOps);
            for (int i = 0; i < ops; i++) {
                step();
                check();
            }
            List<ModelArea> order = new ArrayList<>(areas);
            Collections.shuffle(order, rnd);
            for (ModelArea m : order) {
                FakeBacking b = (FakeBacking) m.area.backing();
                registry.release(m.area);
                if (b != null) {
                    List<String> punched = b.punched.stream().map(Arrays::toString).toList();
                    assertEquals(m.expectedPunches, punched, "hole punches");
                }
            }
            assertTrue(registry.lruEntries().isEmpty());
            assertEquals(new RegistryStats(0, 0, 0, 0, 0, 0), registry.stats());
            for (FakeBacking b : factory.created) {
                assertEquals(1, b.closeCount(), "closed once");
            }
        }

        void step() throws ErrnoException {
            ModelArea m = areas.get(rnd.nextInt(areas.size()));
            int op = rnd.nextInt(100);
            if (op < 30) {
                long[] a = args(m);
                long[] span = span(m, a[0], a[1]);
                Integer got = call(() -> m.area.pin(a[0], a[1]));
                assertEquals(span == null ? null : modelPin(m, span[0], span[1]), got,
                        () -> "PIN " + Arrays.toString(a));
            } else if (op < 65) {
                long[] a = args(m);
                long[] span = span(m, a[0], a[1]);
                Integer got = call(() -> m.area.unpin(a[0], a[1]));
                if (span != null) {
                    modelUnpin(m, span[0], span[1]);
                }
                assertEquals(span == null ? null : 0, got, () -> "UNPIN " + Arrays.toString(a));
            } else if (op < 80) {
                long[] a = args(m);
                long[] span = span(m, a[0], a[1]);
                Integer got = call(() -> m.area.pinStatus(a[0], a[1]));
                assertEquals(span == null ? null : modelStatus(m, span[0], span[1]), got,
                        () -> "GET_PIN_STATUS " + Arrays.toString(a));
            } else if (op < 90) {
                long target = 1 + rnd.nextInt(8);
                long[] expected = modelPurge(target);
                assertEquals(expected[1], registry.purgeOldest(target, PurgeCause.ADMIN), "purgeOldest");
            } else if (op < 94) {
                long[] expected = modelPurge(Long.MAX_VALUE);
                assertEquals(expected[0], registry.purgeAllCaches(), "PURGE_ALL_CACHES");
            } else if (!m.mapped) {
                map(m);
            }
        }

        interface Call {
            int run() throws ErrnoException;
        }

        /** The result, or null for EINVAL. */
        static Integer call(Call c) {
            try {
                return c.run();
            } catch (ErrnoException e) {
                assertEquals(Errno.EINVAL.number(), e.errno(), e::toString);
                return null;
            }
        }

        /** Mostly meaningful spans, sometimes every kind of wrong or odd argument. */
        long[] args(ModelArea m) {
            long end = (long) m.n * PAGE;
            switch (rnd.nextInt(25)) {
                case 0:
                case 1:
                    return new long[] {end, 0}; // the empty span
                case 2:
                    return new long[] {(long) rnd.nextInt(m.n + 1) * PAGE + 1 + rnd.nextInt(PAGE - 1),
                        (long) rnd.nextInt(3) * PAGE};
                case 3:
                    return new long[] {(long) rnd.nextInt(m.n) * PAGE,
                        (long) rnd.nextInt(3) * PAGE + 1 + rnd.nextInt(PAGE - 1)};
                case 4:
                    return new long[] {end + (long) PAGE * (1 + rnd.nextInt(4)), rnd.nextBoolean() ? 0 : PAGE};
                case 5:
                    return new long[] {U32 + 1 - (long) PAGE * (1 + rnd.nextInt(4)), (long) PAGE * rnd.nextInt(6)};
                case 6: {
                    long s = rnd.nextInt(m.n);
                    return new long[] {s * PAGE, (m.n - s + 1 + rnd.nextInt(3)) * PAGE};
                }
                case 7: {
                    long[] a = pageSpan(m);
                    return new long[] {(rnd.nextLong() << 32) | a[0], (rnd.nextLong() << 32) | a[1]};
                }
                default:
                    return pageSpan(m);
            }
        }

        long[] pageSpan(ModelArea m) {
            int s = rnd.nextInt(m.n);
            int pages = rnd.nextInt(m.n - s + 1); // 0: to the end
            return new long[] {(long) s * PAGE, (long) pages * PAGE};
        }

        /** {pgstart, pgend}, or null when the driver says EINVAL. */
        static long[] span(ModelArea m, long offsetArg, long lenArg) {
            if (!m.mapped) {
                return null;
            }
            long offset = offsetArg & U32;
            long len = lenArg & U32;
            long end = (long) m.n * PAGE;
            if (len == 0) {
                len = Math.floorMod(end - offset, 1L << 32);
            }
            if (offset % PAGE != 0 || len % PAGE != 0 || offset + len > U32 || offset + len > end) {
                return null;
            }
            return new long[] {offset / PAGE, offset / PAGE + len / PAGE - 1};
        }

        int modelPin(ModelArea m, long s, long e) {
            if (e < s) {
                return AreaRegistry.NOT_PURGED;
            }
            int ret = AreaRegistry.NOT_PURGED;
            for (long p = s; p <= e; p++) {
                if (m.owner[(int) p] != 0 && purged.get(m.owner[(int) p])) {
                    ret = AreaRegistry.WAS_PURGED;
                }
            }
            if (e == m.n - 1) {
                for (long id : m.empties) {
                    if (purged.get(id)) {
                        ret = AreaRegistry.WAS_PURGED;
                    }
                }
                m.empties.clear();
            }
            if (s > 0 && e < m.n - 1 && m.owner[(int) s - 1] != 0 && m.owner[(int) s - 1] == m.owner[(int) e + 1]) {
                long old = m.owner[(int) e + 1];
                long upper = newRange(purged.get(old));
                for (int p = (int) e + 1; p < m.n && m.owner[p] == old; p++) {
                    m.owner[p] = upper;
                }
            }
            for (long p = s; p <= e; p++) {
                m.owner[(int) p] = 0;
            }
            return ret;
        }

        void modelUnpin(ModelArea m, long s, long e) {
            if (e < s) {
                if (m.empties.stream().allMatch(purged::get)) {
                    m.empties.add(0, newRange(false));
                }
                return;
            }
            Set<Long> ids = new LinkedHashSet<>();
            for (long p = s; p <= e; p++) {
                if (m.owner[(int) p] != 0) {
                    ids.add(m.owner[(int) p]);
                }
            }
            if (ids.size() == 1) {
                long only = ids.iterator().next();
                if (m.first(only) <= s && m.last(only) >= e) {
                    if (e == m.n - 1) {
                        m.empties.clear();
                    }
                    return;
                }
            }
            long lo = s;
            long hi = e;
            boolean isPurged = false;
            for (long id : ids) {
                lo = Math.min(lo, m.first(id));
                hi = Math.max(hi, m.last(id));
                isPurged |= purged.get(id);
            }
            if (hi == m.n - 1) {
                for (long id : m.empties) {
                    isPurged |= purged.get(id);
                }
                m.empties.clear();
            }
            long fresh = newRange(isPurged);
            for (long p = lo; p <= hi; p++) {
                m.owner[(int) p] = fresh;
            }
        }

        int modelStatus(ModelArea m, long s, long e) {
            if (e < s) {
                return AreaRegistry.IS_PINNED;
            }
            for (long p = s; p <= e; p++) {
                if (m.owner[(int) p] != 0) {
                    return AreaRegistry.IS_UNPINNED;
                }
            }
            return e == m.n - 1 && !m.empties.isEmpty() ? AreaRegistry.IS_UNPINNED : AreaRegistry.IS_PINNED;
        }

        /** Every range of every area, empty ones included. */
        List<ModelRange> allRanges() {
            List<ModelRange> out = new ArrayList<>();
            for (ModelArea m : areas) {
                for (long id : m.empties) {
                    out.add(new ModelRange(id, m, m.n, m.n - 1));
                }
                for (int p = 0; p < m.n; p++) {
                    long id = m.owner[p];
                    if (id != 0 && (p == 0 || m.owner[p - 1] != id)) {
                        out.add(new ModelRange(id, m, p, m.last(id)));
                    }
                }
            }
            return out;
        }

        List<ModelRange> lru() {
            return allRanges().stream()
                    .filter(r -> !purged.get(r.id()))
                    .sorted(Comparator.comparingLong(ModelRange::id))
                    .toList();
        }

        /** Returns {LRU pages before, pages freed}. */
        long[] modelPurge(long target) {
            List<ModelRange> order = lru();
            long before = order.stream().mapToLong(ModelRange::pages).sum();
            long freed = 0;
            List<ModelRange> failed = new ArrayList<>();
            for (ModelRange r : order) {
                if (freed >= target) {
                    break;
                }
                if (r.pages() > 0 && r.area().sealed) {
                    failed.add(r);
                    continue;
                }
                purged.put(r.id(), true);
                freed += r.pages();
                if (r.pages() > 0) {
                    r.area().expectedPunches.add(Arrays.toString(
                            new long[] {r.pgstart() * PAGE, r.pages() * PAGE}));
                }
            }
            for (ModelRange r : failed) { // back to the LRU's tail, in order
                long fresh = newRange(false);
                for (long p = r.pgstart(); p <= r.pgend(); p++) {
                    r.area().owner[(int) p] = fresh;
                }
            }
            return new long[] {before, freed};
        }

        void check() {
            long lruPages = 0;
            for (ModelArea m : areas) {
                List<UnpinnedRange> expected = new ArrayList<>();
                for (long id : m.empties) {
                    expected.add(new UnpinnedRange(m.n, m.n - 1, purged.get(id)));
                }
                for (int p = m.n - 1; p >= 0; p--) {
                    long id = m.owner[p];
                    if (id != 0 && (p == m.n - 1 || m.owner[p + 1] != id)) {
                        expected.add(new UnpinnedRange(m.first(id), p, purged.get(id)));
                    }
                }
                AreaSnapshot snap = m.area.snapshot();
                assertEquals(expected, snap.unpinned(), () -> "ranges of area " + m.area.id());
                if (!m.mapped) {
                    assertNull(m.area.backing());
                } else {
                    assertNotNull(m.area.backing());
                }
            }
            List<AreaRegistry.LruEntry> expectedLru = new ArrayList<>();
            for (ModelRange r : lru()) {
                expectedLru.add(new AreaRegistry.LruEntry(r.area().area.id(),
                        new UnpinnedRange(r.pgstart(), r.pgend(), false)));
                lruPages += r.pages();
            }
            assertEquals(expectedLru, registry.lruEntries(), "LRU");
            assertEquals(lruPages, registry.stats().lruPages(), "LRU pages");
        }
    }
}
