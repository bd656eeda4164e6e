package org.ashmemd.pressure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.cuse.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The event → burst loop and the soft limit, against a fake LRU and scripted PSI readings. */
class PurgePolicyTest {
    static final int PAGE = 4096;
    static final long SETTLE = 100_000_000L;

    /**
     * Unpinned ranges, oldest first, purged whole as the registry does: a request may free more
     * than asked. Ranges marked sealed cannot be freed and go to the tail.
     */
    static final class FakeLru {
        final Deque<long[]> ranges = new ArrayDeque<>(); // {pages, sealed 0/1}
        final List<Long> requests = new ArrayList<>();
        final List<Long> freedPerCall = new ArrayList<>();

        FakeLru add(long pages) {
            ranges.addLast(new long[] {pages, 0});
            return this;
        }

        FakeLru addSealed(long pages) {
            ranges.addLast(new long[] {pages, 1});
            return this;
        }

        synchronized long purgeOldest(long pages) {
            requests.add(pages);
            long freed = 0;
            int sealedSeen = 0;
            int sealedTotal = (int) ranges.stream().filter(r -> r[1] == 1).count();
            while (freed < pages && !ranges.isEmpty() && sealedSeen < sealedTotal + 1) {
                long[] r = ranges.peekFirst();
                if (r[1] == 1) {
                    if (++sealedSeen > sealedTotal) {
                        break;
                    }
                    ranges.addLast(ranges.pollFirst());
                    continue;
                }
                ranges.pollFirst();
                freed += r[0];
            }
            freedPerCall.add(freed);
            return freed;
        }

        synchronized long pages() {
            return ranges.stream().mapToLong(r -> r[0]).sum();
        }

    }

    /**
     * PSI as a script: each read returns the next reading; the clock advances by the pauses.
     * {@code stallShares} gives, per pause, the share of it in which some task stalled.
     */
    static final class ScriptedPsi implements PurgePolicy.PsiSource, PurgePolicy.Pause {
        final Deque<Double> stallShares = new ArrayDeque<>();
        long now = 1_000_000_000L;
        long total = 5_000_000;
        double avg10 = 12.34;
        int pauses;
        int reads;
        boolean unreadable;
        int stopAtPause = -1;

        ScriptedPsi shares(double... s) {
            for (double d : s) {
                stallShares.add(d);
            }
            return this;
        }

        @Override
        public PsiReading read() {
            reads++;
            return unreadable ? null : new PsiReading(avg10, total, now);
        }

        @Override
        public boolean pause(long nanos) {
            pauses++;
            if (pauses == stopAtPause) {
                return false;
            }
            double share = stallShares.isEmpty() ? 0 : stallShares.poll();
            now += nanos;
            total += Math.round(share * nanos / 1000);
            return true;
        }
    }

    /** What the policy did: events it saw, and purges by cause as the target counted them. */
    record Stats(long events, long pressureBursts, long pressurePages, long softLimitBursts, long softLimitPages) {
    }

    Stats stats(PurgePolicy p) {
        PurgeCount pressure = target.purged(PurgeCause.PRESSURE);
        PurgeCount softLimit = target.purged(PurgeCause.SOFT_LIMIT);
        return new Stats(p.events(), pressure.bursts(), pressure.pages(), softLimit.bursts(), softLimit.pages());
    }

    FakeLru lru;
    CountingTarget target;
    ScriptedPsi psi;
    LogCapture logs;

    @BeforeEach
    void setUp() {
        lru = new FakeLru();
        target = new CountingTarget(lru::purgeOldest, lru::pages);
        psi = new ScriptedPsi();
        logs = LogCapture.of(PurgePolicy.class, Level.DEBUG);
    }

    @AfterEach
    void tearDown() {
        logs.close();
    }

    PurgePolicy policy(String trigger, long softLimitBytes, long burstPages) {
        PressureConfig c = new PressureConfig(trigger == null ? null : PressureTrigger.parse(trigger), softLimitBytes,
                burstPages);
        return new PurgePolicy(target, PAGE, c, SETTLE);
    }

    PurgePolicy policy() {
        return policy("some 150ms 1s", 0, 256);
    }

    static FakeLru pagesOf(FakeLru lru, int n, long pages) {
        for (int i = 0; i < n; i++) {
            lru.add(pages);
        }
        return lru;
    }

    @Test
    void oneBurstWhenPressureEasesAtOnce() {
        pagesOf(lru, 100, 16);
        PurgePolicy p = policy();
        psi.shares(0.01);

        assertEquals(256, p.onPressureEvent(psi, psi));

        assertEquals(List.of(256L), lru.requests);
        assertEquals(1600 - 256, lru.pages());
        assertEquals(new Stats(1, 1, 256, 0, 0), stats(p));
        assertEquals(List.of("purged 256 pages (1.0 MiB) under memory pressure (some avg10=12.34)"),
                logs.messages(Level.INFO));
        assertEquals(1, psi.pauses);
    }

    @Test
    void burstsDoubleWhilePressurePersists() {
        pagesOf(lru, 1000, 16);
        PurgePolicy p = policy();
        psi.shares(0.50, 0.20, 0.15, 0.149); // at the threshold still counts as pressure

        long freed = p.onPressureEvent(psi, psi);

        assertEquals(List.of(256L, 512L, 1024L, 2048L), lru.requests);
        assertEquals(256 + 512 + 1024 + 2048, freed);
        assertEquals(new Stats(1, 4, freed, 0, 0), stats(p));
        assertEquals(4, logs.messages(Level.INFO).size(), "one line per burst");
        assertEquals("purged 2048 pages (8.0 MiB) under memory pressure (some avg10=12.34)",
                logs.messages(Level.INFO).get(3));
    }

    @Test
    void burstsGrowNoFurtherThanTheCap() {
        pagesOf(lru, 100_000, 1);
        PurgePolicy p = policy("some 150ms 1s", 0, 2);
        double[] shares = new double[12];
        java.util.Arrays.fill(shares, 1.0);
        psi.shares(shares);

        p.onPressureEvent(psi, psi);

        assertEquals(13, lru.requests.size());
        assertEquals(List.of(2L, 4L, 8L, 16L, 32L, 64L, 128L, 128L, 128L, 128L, 128L, 128L, 128L), lru.requests);
    }

    @Test
    void stopsWhenNothingIsLeft() {
        lru.add(100).add(200).add(50);
        PurgePolicy p = policy();
        psi.shares(1.0, 1.0, 1.0);

        assertEquals(350, p.onPressureEvent(psi, psi));

        // Whole ranges: 100 + 200 for the first burst, the last 50 for the second, none for the third.
        assertEquals(List.of(256L, 512L, 1024L), lru.requests);
        assertEquals(List.of(300L, 50L, 0L), lru.freedPerCall);
        assertEquals(0, lru.pages());
        assertEquals(new Stats(1, 2, 350, 0, 0), stats(p));
        assertEquals(2, logs.messages(Level.INFO).size());
    }

    @Test
    void anEventWithNothingUnpinnedLogsNoBurst() {
        PurgePolicy p = policy();

        assertEquals(0, p.onPressureEvent(psi, psi));

        assertEquals(new Stats(1, 0, 0, 0, 0), stats(p));
        assertTrue(logs.messages(Level.INFO).isEmpty());
        assertEquals(List.of("memory pressure (some avg10=12.34), but nothing unpinned to purge"),
                logs.messages(Level.DEBUG));
        assertEquals(0, psi.pauses);
    }

    @Test
    void stoppingEndsTheEpisode() {
        pagesOf(lru, 1000, 16);
        PurgePolicy p = policy();
        psi.shares(1.0, 1.0, 1.0, 1.0);
        psi.stopAtPause = 2;

        p.onPressureEvent(psi, psi);

        assertEquals(List.of(256L, 512L), lru.requests);
    }

    @Test
    void unreadablePsiMeansOneBurstPerEvent() {
        pagesOf(lru, 1000, 16);
        PurgePolicy p = policy();
        psi.unreadable = true;
        psi.shares(1.0, 1.0);

        assertEquals(256, p.onPressureEvent(psi, psi));
        assertEquals(List.of("purged 256 pages (1.0 MiB) under memory pressure (some avg10=?)"),
                logs.messages(Level.INFO));

        assertEquals(256, p.onPressureEvent(psi, psi));
        assertEquals(new Stats(2, 2, 512, 0, 0), stats(p));
    }

    @Test
    void theStallShareIsMeasuredAfterTheBurstNotBefore() {
        pagesOf(lru, 1000, 16);
        PurgePolicy p = policy();
        // Heavy stall before the event (already in the total), none after the first burst.
        psi.total += 10_000_000;
        psi.shares(0.0);

        p.onPressureEvent(psi, psi);

        assertEquals(List.of(256L), lru.requests);
    }

    @Test
    void avg10InTheLogIsTheOneBeforeTheBurst() {
        pagesOf(lru, 1000, 16);
        PurgePolicy p = policy();
        psi.shares(1.0, 0.0);
        PurgePolicy.PsiSource rising = new PurgePolicy.PsiSource() {
            double avg = 5;

            @Override
            public PsiReading read() {
                PsiReading r = psi.read();
                avg += 1;
                return new PsiReading(avg, r.someTotalMicros(), r.atNanos());
            }
        };

        p.onPressureEvent(rising, psi);

        // Reads: before burst 1 (6), after burst 1 (7), after the pause (8, the "before" of burst 2).
        assertEquals(List.of("purged 256 pages (1.0 MiB) under memory pressure (some avg10=6.00)",
                "purged 512 pages (2.0 MiB) under memory pressure (some avg10=8.00)"), logs.messages(Level.INFO));
    }

    @Test
    void anEventForStallAlreadyAnsweredPurgesNothing() {
        pagesOf(lru, 1000, 16);
        PurgePolicy p = policy(); // 15% of 1 s
        psi.shares(0.01);
        assertEquals(256, p.onPressureEvent(psi, psi));

        // Half a window later, 2% stalled since the episode ended: the event is about the old stall.
        psi.now += 500_000_000L;
        psi.total += 10_000;
        assertEquals(0, p.onPressureEvent(psi, psi));
        assertEquals(new Stats(2, 1, 256, 0, 0), stats(p));
        assertEquals(List.of("memory pressure event (some avg10=12.34) for stall already answered: not purging"),
                logs.messages(Level.DEBUG));

        // Still within the window of that end, and stalled again: purge.
        psi.now += 200_000_000L;
        psi.total += 400_000;
        psi.shares(0.0);
        assertEquals(256, p.onPressureEvent(psi, psi));
        assertEquals(new Stats(3, 2, 512, 0, 0), stats(p));
    }

    @Test
    void anEventAWindowAfterTheLastEpisodePurges() {
        pagesOf(lru, 1000, 16);
        PurgePolicy p = policy();
        psi.shares(0.0);
        p.onPressureEvent(psi, psi);

        psi.now += 1_500_000_000L; // more than the 1 s window: this stall came after the episode
        psi.shares(0.0);
        assertEquals(256, p.onPressureEvent(psi, psi));
        assertEquals(List.of(256L, 256L), lru.requests);
    }

    @Test
    void anEpisodeThatRanOutDoesNotSilenceTheNextEvent() {
        lru.add(100);
        PurgePolicy p = policy();
        psi.shares(1.0);
        assertEquals(100, p.onPressureEvent(psi, psi)); // ended with nothing left, not eased

        lru.add(50);
        psi.now += 100_000_000L;
        assertEquals(50, p.onPressureEvent(psi, psi));
    }

    @Test
    void softLimitPurgesOldestDownToTheLimit() {
        pagesOf(lru, 10, 100); // 1000 pages
        PurgePolicy p = policy(null, 700L * PAGE, 256);

        assertTrue(p.overSoftLimit());
        assertEquals(300, p.enforceSoftLimit());

        assertEquals(List.of(300L), lru.requests);
        assertEquals(700, lru.pages());
        assertFalse(p.overSoftLimit());
        assertEquals(new Stats(0, 0, 0, 1, 300), stats(p));
        assertEquals(List.of("purged 300 pages (1.2 MiB) over the unpinned soft limit of 2.7 MiB"),
                logs.messages(Level.INFO));
        assertEquals(0, p.enforceSoftLimit());
    }

    @Test
    void softLimitRoundsUpToWholePagesAndRangesMayOvershoot() {
        lru.add(500).add(10).add(10);
        PurgePolicy p = policy(null, 515L * PAGE - 1, 256);

        assertEquals(500, p.enforceSoftLimit());

        assertEquals(List.of(6L), lru.requests); // 5 pages and 1 byte over
        assertEquals(20, lru.pages());
    }

    @Test
    void softLimitOffNeverPurges() {
        pagesOf(lru, 10, 100);
        PurgePolicy p = policy("some 150ms 1s", 0, 256);

        assertFalse(p.overSoftLimit());
        assertEquals(0, p.enforceSoftLimit());
        assertTrue(lru.requests.isEmpty());
    }

    @Test
    void memoryThatCannotBePurgedIsNotRetriedUntilTheCountChanges() {
        lru.addSealed(100).addSealed(100);
        PurgePolicy p = policy(null, 50L * PAGE, 256);

        assertTrue(p.overSoftLimit());
        assertEquals(0, p.enforceSoftLimit());
        assertEquals(1, lru.requests.size());
        assertFalse(p.overSoftLimit(), "no new attempt for the same sealed memory");
        assertEquals(new Stats(0, 0, 0, 0, 0), stats(p));

        lru.add(30);
        assertTrue(p.overSoftLimit(), "newly unpinned memory is worth an attempt");
        assertEquals(30, p.enforceSoftLimit());
        assertEquals(200, lru.pages());
        assertFalse(p.overSoftLimit());
    }

    @Test
    void psiReadingParsesTheKernelsText() {
        String text = "some avg10=1.23 avg60=0.50 avg300=0.10 total=4567890\n"
                + "full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n";
        PsiReading r = PsiReading.parse(text, 42);
        assertEquals(1.23, r.someAvg10(), 1e-9);
        assertEquals(4567890, r.someTotalMicros());
        assertEquals(42, r.atNanos());
        assertEquals("1.23", r.avg10Text());

        assertNull(PsiReading.parse("", 0));
        assertNull(PsiReading.parse("full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n", 0));
        assertNull(PsiReading.parse("some avg10=x avg60=0.00 avg300=0.00 total=12\n", 0));
        assertNull(PsiReading.parse("some avg10=1.00 avg60=0.00 avg300=0.00\n", 0));
    }

    @Test
    void stallShare() {
        PsiReading a = new PsiReading(0, 1_000_000, 0);
        PsiReading b = new PsiReading(0, 1_050_000, 100_000_000); // 50 ms stalled in 100 ms
        assertEquals(0.5, b.stallShareSince(a), 1e-12);
        assertTrue(Double.isNaN(a.stallShareSince(a)));
        assertEquals(0, a.stallShareSince(new PsiReading(0, 2_000_000, -5)), 1e-12, "a total that went back counts as no stall");
    }
}
