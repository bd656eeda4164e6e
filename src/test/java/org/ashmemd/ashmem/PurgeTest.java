package org.ashmemd.ashmem;

import static org.ashmemd.ashmem.AreaRegistry.NOT_PURGED;
import static org.ashmemd.ashmem.AreaRegistry.WAS_PURGED;
import static org.ashmemd.ashmem.PinTest.pin;
import static org.ashmemd.ashmem.PinTest.purged;
import static org.ashmemd.ashmem.PinTest.r;
import static org.ashmemd.ashmem.PinTest.unpin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The global LRU, PURGE_ALL_CACHES, purgeOldest, and release cleanup. */
class PurgeTest {
    static final int PAGE = 4096;
    /** A safety net against a hang in the concurrency tests, not a timing assertion. */
    static final Duration HANG = Duration.ofSeconds(60);

    FakeFactory factory;
    AreaRegistry registry;
    Area a;
    Area b;
    ExecutorService pool;

    @BeforeEach
    void setUp() throws ErrnoException {
        factory = new FakeFactory();
        registry = new AreaRegistry(factory, PAGE);
        a = mapped(10 * PAGE);
        b = mapped(10 * PAGE);
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
    }

    Area mapped(long size) throws ErrnoException {
        Area area = registry.open();
        area.setSize(size);
        area.map(PageSpan.pageAlign(size, PAGE), Prot.READ | Prot.WRITE);
        return area;
    }

    static FakeBacking backing(Area area) {
        return (FakeBacking) area.backing();
    }

    record Entry(long area, UnpinnedRange range) {
    }

    List<Entry> lru() {
        return registry.lruEntries().stream().map(e -> new Entry(e.areaId(), e.range())).toList();
    }

    Entry e(Area area, long s, long end) {
        return new Entry(area.id(), r(s, end));
    }

    static List<String> punches(FakeBacking fb) {
        synchronized (fb.punched) {
            return fb.punched.stream().map(Arrays::toString).toList();
        }
    }

    static String punch(long pgstart, long pgend) {
        return Arrays.toString(new long[] {pgstart * PAGE, (pgend - pgstart + 1) * PAGE});
    }

    @Test
    void lruIsGlobalAndOrderedByUnpinTime() throws ErrnoException {
        unpin(a, 0, 1);
        unpin(b, 5, 5);
        unpin(a, 4, 6);
        unpin(b, 0, 2);
        assertEquals(List.of(e(a, 0, 1), e(b, 5, 5), e(a, 4, 6), e(b, 0, 2)), lru());
        assertEquals(9, registry.stats().lruPages());
    }

    @Test
    void reUnpinningMovesToTheTailOnlyWhenMerging() throws ErrnoException {
        unpin(a, 0, 1);
        unpin(b, 0, 0);
        unpin(a, 0, 1); // covered: no-op
        assertEquals(List.of(e(a, 0, 1), e(b, 0, 0)), lru());
        unpin(a, 1, 2); // merges: a new range at the tail
        assertEquals(List.of(e(b, 0, 0), e(a, 0, 2)), lru());
        pin(a, 0, 2);
        unpin(a, 0, 1); // pinned then unpinned again: most recent
        assertEquals(List.of(e(b, 0, 0), e(a, 0, 1)), lru());
    }

    @Test
    void purgeAllCachesReturnsThePagesItPurgesAndPunchesEveryRange() throws ErrnoException {
        unpin(a, 1, 2);
        unpin(b, 7, 9);
        unpin(a, 5, 5);
        assertEquals(6, registry.purgeAllCaches());
        assertEquals(List.of(punch(1, 2), punch(5, 5)), punches(backing(a)));
        assertEquals(List.of(punch(7, 9)), punches(backing(b)));
        assertEquals(List.of(purged(5, 5), purged(1, 2)), a.snapshot().unpinned());
        assertTrue(lru().isEmpty());
        assertEquals(new RegistryStats(2, 2, 20 * PAGE, 6, 6, 0), registry.stats());
        assertEquals(0, registry.purgeAllCaches(), "nothing left to purge");
        assertEquals(2, punches(backing(a)).size(), "purged ranges are not punched again");
    }

    @Test
    void purgesAreCountedByCauseWhereTheyHappen() throws ErrnoException {
        unpin(a, 1, 2);
        unpin(b, 7, 9);
        assertEquals(2, registry.purgeOldest(1, PurgeCause.PRESSURE));
        assertEquals(0, registry.purgeOldest(0, PurgeCause.PRESSURE), "nothing asked: no burst");
        unpin(a, 5, 5);
        assertEquals(4, registry.purgeAllCaches());
        assertEquals(0, registry.purgeOldest(10, PurgeCause.ADMIN), "nothing left: no burst");
        assertEquals(new PurgeCount(2, 1), registry.purged(PurgeCause.PRESSURE));
        assertEquals(new PurgeCount(4, 1), registry.purged(PurgeCause.PURGE_ALL_CACHES));
        assertEquals(PurgeCount.NONE, registry.purged(PurgeCause.ADMIN));
        assertEquals(PurgeCount.NONE, registry.purged(PurgeCause.SOFT_LIMIT));
        assertEquals(6, registry.pagesPurgedTotal());
        backing(a).sealed = true;
        unpin(a, 0, 0);
        assertEquals(0, registry.purgeOldest(1, PurgeCause.SOFT_LIMIT), "sealed: nothing freed");
        assertEquals(PurgeCount.NONE, registry.purged(PurgeCause.SOFT_LIMIT));
    }

    @Test
    void purgedPagesReadAsZeroWhilePinnedPagesKeepTheirData() throws ErrnoException {
        byte[] content = new byte[10 * PAGE];
        Arrays.fill(content, (byte) 7);
        backing(a).fill(0, content);
        unpin(a, 1, 1);
        registry.purgeAllCaches();
        ByteBuffer dst = ByteBuffer.allocate(3 * PAGE);
        assertEquals(3 * PAGE, a.read(dst));
        byte[] expected = new byte[3 * PAGE];
        Arrays.fill(expected, 0, PAGE, (byte) 7);
        Arrays.fill(expected, 2 * PAGE, 3 * PAGE, (byte) 7);
        assertArrayEquals(expected, dst.array());
        assertEquals(WAS_PURGED, pin(a, 1, 1));
    }

    @Test
    void purgeAllCachesClampsItsResultToIntMax() throws ErrnoException {
        // 4097 areas of 2^19 pages each: 2^31 + 2^19 unpinned pages in all.
        AreaRegistry big = new AreaRegistry(factory, PAGE);
        for (int i = 0; i < 4097; i++) {
            Area area = big.open();
            area.setSize(Integer.MAX_VALUE);
            area.map(PAGE, Prot.READ);
            area.unpin(0, 0);
        }
        assertEquals((1L << 31) + (1L << 19), big.stats().lruPages());
        assertEquals(Integer.MAX_VALUE, big.purgeAllCaches());
        assertEquals(0, big.stats().lruPages());
    }

    @Test
    void purgeOldestStopsOnceEnoughPagesAreFreed() throws ErrnoException {
        unpin(a, 0, 2); // 3 pages
        unpin(b, 4, 4); // 1
        unpin(a, 8, 9); // 2
        assertEquals(3, registry.purgeOldest(2, PurgeCause.ADMIN));
        assertEquals(List.of(e(b, 4, 4), e(a, 8, 9)), lru());
        assertEquals(List.of(punch(0, 2)), punches(backing(a)));
        assertEquals(3, registry.purgeOldest(2, PurgeCause.ADMIN), "1 page is not enough, so the next range goes too");
        assertTrue(lru().isEmpty());
        assertEquals(0, registry.purgeOldest(5, PurgeCause.ADMIN));
        assertEquals(6, registry.pagesPurgedTotal());
    }

    @Test
    void purgeOldestOfNothingPurgesNothing() throws ErrnoException {
        unpin(a, 0, 2);
        assertEquals(0, registry.purgeOldest(0, PurgeCause.ADMIN));
        assertEquals(0, registry.purgeOldest(-1, PurgeCause.ADMIN));
        assertEquals(List.of(e(a, 0, 2)), lru());
    }

    @Test
    void purgeOldestGoesPastEmptyRanges() throws ErrnoException {
        a.unpin(10L * PAGE, 0); // an empty range [10, 9] first on the LRU
        unpin(b, 3, 3);
        assertEquals(1, registry.purgeOldest(1, PurgeCause.ADMIN));
        assertEquals(List.of(purged(10, 9)), a.snapshot().unpinned());
        assertEquals(List.of(purged(3, 3)), b.snapshot().unpinned());
    }

    @Test
    void lruPageCountFollowsSplitsShrinksAndMerges() throws ErrnoException {
        unpin(a, 0, 9);
        assertEquals(10, registry.stats().lruPages());
        pin(a, 4, 5); // split: 8
        assertEquals(8, registry.stats().lruPages());
        pin(a, 0, 0); // shrink: 7
        assertEquals(7, registry.stats().lruPages());
        unpin(a, 3, 6); // merge [1, 3] and [6, 9] into [1, 9]
        assertEquals(9, registry.stats().lruPages());
        registry.purgeOldest(1, PurgeCause.ADMIN);
        assertEquals(0, registry.stats().lruPages());
        unpin(a, 0, 0); // adjacent to a purged range: separate, on the LRU
        assertEquals(1, registry.stats().lruPages());
        assertEquals(new RegistryStats(2, 2, 20 * PAGE, 10, 9, 1), registry.stats());
    }

    @Test
    void aRangeThatCannotBeFreedStaysNotPurgedAtTheTail() throws ErrnoException {
        backing(a).sealed = true;
        unpin(a, 0, 1);
        unpin(b, 2, 2);
        unpin(a, 5, 5);
        assertEquals(1, registry.purgeOldest(1, PurgeCause.ADMIN), "a's [0, 1] failed, b's [2, 2] freed");
        assertEquals(List.of(e(a, 5, 5), e(a, 0, 1)), lru());
        assertEquals(List.of(r(5, 5), r(0, 1)), a.snapshot().unpinned());
        assertEquals(3, registry.purgeAllCaches(), "counted before purging, as the driver does");
        assertEquals(List.of(e(a, 5, 5), e(a, 0, 1)), lru());
        assertEquals(NOT_PURGED, pin(a, 0, 1), "the data is intact");
        assertTrue(punches(backing(a)).isEmpty());
    }

    @Test
    void releaseTakesTheAreasRangesOffTheLruAndClosesItsBackingOnce() throws ErrnoException {
        unpin(a, 0, 1);
        unpin(b, 3, 4);
        unpin(a, 6, 6);
        unpin(a, 8, 9);
        registry.purgeOldest(1, PurgeCause.ADMIN);
        FakeBacking fa = backing(a);
        registry.release(a);
        assertEquals(List.of(e(b, 3, 4)), lru());
        assertEquals(new RegistryStats(1, 1, 10 * PAGE, 2, 0, 2), registry.stats());
        assertEquals(1, fa.closeCount());
        assertEquals(2, registry.purgeAllCaches());
        assertEquals(List.of(punch(0, 1)), punches(fa), "nothing punched after release");
        registry.release(a);
        registry.release(b);
        assertEquals(1, fa.closeCount());
        assertEquals(1, factory.created.get(1).closeCount());
        assertEquals(new RegistryStats(0, 0, 0, 0, 0, 0), registry.stats());
    }

    @Test
    void pinWaitsForAPurgeInFlight() throws Exception {
        unpin(a, 0, 1);
        FakeBacking fa = backing(a);
        CountDownLatch gate = new CountDownLatch(1);
        fa.punchGate = gate;
        assertTimeoutPreemptively(HANG, () -> {
            Future<Integer> purge = pool.submit(registry::purgeAllCaches);
            fa.punchEntered.await();
            // The range is marked purged but its memory is not freed yet: PIN must not answer.
            Thread[] pinner = new Thread[1];
            CompletableFuture<Integer> pinned = new CompletableFuture<>();
            pinner[0] = new Thread(() -> {
                try {
                    pinned.complete(pin(a, 0, 1));
                } catch (Throwable t) {
                    pinned.completeExceptionally(t);
                }
            });
            pinner[0].start();
            awaitWaiting(pinner[0]);
            assertFalse(pinned.isDone());
            // Other areas' non-pin operations do not wait.
            b.setProtMask(Prot.READ | Prot.WRITE, false);
            assertEquals(new RegistryStats(2, 2, 20 * PAGE, 2, 2, 0), registry.stats());
            gate.countDown();
            assertEquals(2, purge.get());
            assertEquals(WAS_PURGED, pinned.get());
            assertEquals(List.of(punch(0, 1)), punches(fa));
        });
    }

    @Test
    void releaseDuringAPunchDefersTheCloseToThePurge() throws Exception {
        unpin(a, 0, 1);
        FakeBacking fa = backing(a);
        CountDownLatch gate = new CountDownLatch(1);
        fa.punchGate = gate;
        assertTimeoutPreemptively(HANG, () -> {
            Future<Long> purge = pool.submit(() -> registry.purgeOldest(1, PurgeCause.ADMIN));
            fa.punchEntered.await();
            registry.release(a);
            assertEquals(0, fa.closeCount(), "the punch still uses the memory");
            assertTrue(lru().isEmpty());
            gate.countDown();
            assertEquals(2, purge.get());
            assertEquals(1, fa.closeCount());
            assertEquals(new RegistryStats(1, 1, 10 * PAGE, 0, 0, 0), registry.stats());
        });
    }

    @Test
    void aFailedPunchOfAReleasedAreaDoesNotComeBack() throws Exception {
        unpin(a, 0, 1);
        FakeBacking fa = backing(a);
        fa.sealed = true;
        CountDownLatch gate = new CountDownLatch(1);
        fa.punchGate = gate;
        assertTimeoutPreemptively(HANG, () -> {
            Future<Long> purge = pool.submit(() -> registry.purgeOldest(1, PurgeCause.ADMIN));
            fa.punchEntered.await();
            registry.release(a);
            gate.countDown();
            assertEquals(0, purge.get());
            assertTrue(lru().isEmpty());
            assertEquals(1, fa.closeCount());
        });
    }

    @Test
    void aReadInProgressNeitherBlocksOthersNorLosesItsMemory() throws Exception {
        FakeBacking fa = backing(a);
        CountDownLatch gate = new CountDownLatch(1);
        fa.readGate = gate;
        assertTimeoutPreemptively(HANG, () -> {
            Future<Integer> read = pool.submit(() -> a.read(ByteBuffer.allocate(100)));
            fa.readEntered.await();
            // The registry lock is free while the backing is read.
            unpin(b, 0, 0);
            assertEquals(1, registry.purgeAllCaches());
            registry.release(a);
            assertEquals(0, fa.closeCount());
            gate.countDown();
            assertEquals(100, read.get());
            assertEquals(1, fa.closeCount());
        });
    }

    @Test
    void concurrentUseKeepsTheBookkeepingConsistent() throws Exception {
        List<Area> areas = new ArrayList<>(List.of(a, b));
        for (int i = 0; i < 4; i++) {
            areas.add(mapped(16 * PAGE));
        }
        assertTimeoutPreemptively(HANG, () -> {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int seed = t;
                work.add(pool.submit(() -> {
                    java.util.Random rnd = new java.util.Random(seed);
                    for (int i = 0; i < 5000; i++) {
                        Area area = areas.get(rnd.nextInt(areas.size()));
                        int s = rnd.nextInt(10);
                        int len = 1 + rnd.nextInt(10 - s);
                        try {
                            switch (rnd.nextInt(5)) {
                                case 0, 1 -> area.unpin((long) s * PAGE, (long) len * PAGE);
                                case 2 -> area.pin((long) s * PAGE, (long) len * PAGE);
                                case 3 -> area.pinStatus((long) s * PAGE, 0);
                                default -> registry.purgeOldest(1 + rnd.nextInt(4), PurgeCause.ADMIN);
                            }
                        } catch (ErrnoException e) {
                            throw new AssertionError(e);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        });
        long onLru = 0;
        for (AreaSnapshot s : registry.snapshot()) {
            for (UnpinnedRange range : s.unpinned()) {
                onLru += range.purged() ? 0 : range.pages();
            }
        }
        assertEquals(onLru, registry.stats().lruPages());
        assertEquals(onLru, lru().stream().mapToLong(x -> x.range().pages()).sum());
        for (Area area : areas) {
            registry.release(area);
        }
        assertTrue(lru().isEmpty());
        assertEquals(0, registry.stats().lruPages());
        for (FakeBacking fb : factory.created) {
            assertEquals(1, fb.closeCount());
        }
    }

    /** Waits (without a time limit of its own) until {@code t} parks on the registry lock. */
    static void awaitWaiting(Thread t) throws InterruptedException {
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertTrue(t.isAlive(), "the thread ended instead of waiting");
            Thread.sleep(1);
        }
    }

    /**
     * The purge listener hears of the purged marks before the memory is freed (a restart state
     * that recorded them after could say "not purged" of zeroed pages if the daemon died
     * between), and again only where freeing failed and the marks were taken back.
     */
    @Test
    void thePurgeListenerHearsOfTheMarksBeforeTheMemoryGoes() throws ErrnoException {
        List<String> heard = new ArrayList<>();
        registry.setPurgeListener(area -> heard.add("area " + area.id() + " " + area.unpinned() + " punched "
                + punches(backing(area)).size()));
        unpin(a, 1, 1);
        assertEquals(1, registry.purgeOldest(1, PurgeCause.PRESSURE));
        assertEquals(List.of("area " + a.id() + " " + List.of(new UnpinnedRange(1, 1, true)) + " punched 0"), heard);

        heard.clear();
        backing(b).sealed = true;
        unpin(b, 2, 2);
        assertEquals(0, registry.purgeOldest(1, PurgeCause.PRESSURE));
        assertEquals(List.of("area " + b.id() + " " + List.of(new UnpinnedRange(2, 2, true)) + " punched 0",
                "area " + b.id() + " " + List.of(new UnpinnedRange(2, 2, false)) + " punched 0"), heard,
                "told again once the marks were taken back");
    }
}
