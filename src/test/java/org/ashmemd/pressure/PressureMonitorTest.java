package org.ashmemd.pressure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.cuse.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor's thread, eventfd, start and stop, and the PSI file as this machine has it. */
class PressureMonitorTest {
    static final int PAGE = 4096;
    /** A safety net against a hang, not a timing assertion. */
    static final Duration HANG = Duration.ofSeconds(60);
    static final Path PROC_PSI = PressureMonitor.PROC_PRESSURE_MEMORY;

    @TempDir
    Path tmp;
    LogCapture logs;
    final AtomicLong unpinned = new AtomicLong();
    final Set<String> purgeThreads = ConcurrentHashMap.newKeySet();
    final AtomicInteger purgeCalls = new AtomicInteger();
    volatile CountDownLatch purged = new CountDownLatch(1);

    @BeforeEach
    void setUp() {
        logs = LogCapture.of(PressureMonitor.class, Level.DEBUG);
    }

    @AfterEach
    void tearDown() {
        logs.close();
    }

    long purge(long pages) {
        purgeThreads.add(Thread.currentThread().getName());
        purgeCalls.incrementAndGet();
        long freed = Math.min(pages, unpinned.get());
        unpinned.addAndGet(-freed);
        purged.countDown();
        return freed;
    }

    /** The target the monitor purges, over {@link #unpinned}; set by {@link #target}. */
    volatile CountingTarget target;

    PurgeTarget target(LongUnaryOperator purge) {
        target = new CountingTarget(purge, unpinned::get);
        return target;
    }

    long softLimitPages() {
        return target.purged(PurgeCause.SOFT_LIMIT).pages();
    }

    PressureMonitor monitor(PressureConfig config, Path psi) {
        return new PressureMonitor(config, target(this::purge), PAGE, psi, PressureMonitor.DEFAULT_SETTLE_NANOS);
    }

    static boolean monitorThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("ashmemd-pressure") && t.isAlive());
    }

    @Test
    void withoutPsiItWarnsOnceAndRunsWithout() {
        Path missing = tmp.resolve("no-such-pressure-file");
        try (PressureMonitor m = monitor(PressureConfig.defaults(), missing).start()) {
            assertFalse(m.watchingPressure());
            assertFalse(monitorThreadAlive(), "nothing to watch: no thread");
            List<String> warnings = logs.messages(Level.WARN);
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).startsWith("no " + missing + ": this kernel reports no memory pressure"),
                    warnings.get(0));
            DaemonStatus.Pressure s = m.pressure();
            assertFalse(s.enabled());
            assertEquals("some 200ms 2s", s.trigger());
            assertEquals(0, s.events());
            m.checkSoftLimit(); // no limit, no thread: nothing happens
        }
        assertFalse(monitorThreadAlive());
    }

    @Test
    void offSwitch() {
        try (PressureMonitor m = monitor(PressureConfig.fromOptions("off", 0), PROC_PSI).start()) {
            assertFalse(m.watchingPressure());
            assertFalse(monitorThreadAlive());
            assertEquals(List.of("purging unpinned memory under memory pressure is off"), logs.messages(Level.INFO));
            assertTrue(logs.messages(Level.WARN).isEmpty());
            assertEquals(new DaemonStatus.Pressure(false, "off", 0, 0, 0, 0), m.pressure());
        }
    }

    @Test
    void softLimitWithoutPsiPurgesOnTheMonitorThread() throws Exception {
        assertTimeoutPreemptively(HANG, () -> {
            PressureConfig c = new PressureConfig(PressureTrigger.parse("some 150ms 1s"), 100L * PAGE, 256);
            try (PressureMonitor m = monitor(c, tmp.resolve("missing")).start()) {
                assertFalse(m.watchingPressure());
                assertTrue(monitorThreadAlive(), "the soft limit needs the thread");

                unpinned.set(50);
                m.checkSoftLimit();
                unpinned.set(350);
                m.checkSoftLimit();
                purged.await();
                while (softLimitPages() < 250) {
                    Thread.sleep(1);
                }
                assertEquals(100, unpinned.get());
                assertEquals(Set.of("ashmemd-pressure"), purgeThreads);
                DaemonStatus.Pressure s = m.pressure();
                assertFalse(s.enabled());
                assertEquals(1, s.bursts());
                assertEquals(250, s.pagesPurged());
                assertEquals(100L * PAGE, s.unpinnedSoftLimitBytes());
            }
            assertFalse(monitorThreadAlive());
        });
    }

    @Test
    void checkSoftLimitFromManyThreadsPurgesOnlyOnTheMonitorThread() throws Exception {
        assertTimeoutPreemptively(HANG, () -> {
            PressureConfig c = new PressureConfig(null, 10L * PAGE, 256);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try (PressureMonitor m = monitor(c, tmp.resolve("missing")).start()) {
                CountDownLatch go = new CountDownLatch(1);
                for (int t = 0; t < 8; t++) {
                    pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < 2_000; i++) {
                            unpinned.addAndGet(3);
                            m.checkSoftLimit();
                        }
                        return null;
                    });
                }
                go.countDown();
                pool.shutdown();
                assertTrue(pool.awaitTermination(HANG.toSeconds(), TimeUnit.SECONDS));
                m.checkSoftLimit();
                while (unpinned.get() > 10) {
                    Thread.sleep(1);
                    m.checkSoftLimit();
                }
                assertEquals(Set.of("ashmemd-pressure"), purgeThreads);
                assertEquals(8 * 2_000 * 3 - 10, softLimitPages());
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @Test
    void aFailingPurgeDoesNotStopTheMonitor() throws Exception {
        assertTimeoutPreemptively(HANG, () -> {
            AtomicInteger calls = new AtomicInteger();
            CountDownLatch second = new CountDownLatch(1);
            PressureConfig c = new PressureConfig(null, 10L * PAGE, 256);
            try (PressureMonitor m = new PressureMonitor(c, target(pages -> {
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("punch hole failed");
                }
                second.countDown();
                unpinned.set(0);
                return pages;
            }), PAGE, tmp.resolve("missing"), 0).start()) {
                unpinned.set(20);
                m.checkSoftLimit();
                while (calls.get() < 1) {
                    Thread.sleep(1);
                }
                while (second.getCount() > 0) {
                    m.checkSoftLimit();
                    Thread.sleep(1);
                }
                assertTrue(logs.messages(Level.WARN).stream().anyMatch(l -> l.contains("punch hole failed")));
            }
        });
    }

    @Test
    void closeIsIdempotentAndWorksBeforeStart() {
        PressureMonitor never = monitor(PressureConfig.defaults(), tmp.resolve("missing"));
        never.close();
        never.close();
        never.checkSoftLimit();
        assertThrows(IllegalStateException.class, never::start);

        PressureMonitor m = monitor(new PressureConfig(null, PAGE, 256), tmp.resolve("missing")).start();
        assertTrue(monitorThreadAlive());
        assertThrows(IllegalStateException.class, m::start);
        m.close();
        assertFalse(monitorThreadAlive());
        m.close();
        unpinned.set(1000);
        m.checkSoftLimit(); // after close: ignored
        assertEquals(0, purgeCalls.get());
    }

    @Test
    void closeWakesAThreadBlockedInPollOnATriggerThatNeverFires() throws Exception {
        // A regular file takes the trigger text like any write and never reports POLLPRI.
        Path file = Files.createFile(tmp.resolve("memory"));
        assertTimeoutPreemptively(HANG, () -> {
            PressureMonitor m = monitor(PressureConfig.defaults(), file).start();
            assertTrue(m.watchingPressure());
            assertTrue(monitorThreadAlive());
            m.close();
            assertFalse(monitorThreadAlive());
            assertFalse(m.watchingPressure());
        });
        assertEquals("some 200000 2000000\0", Files.readString(file), "the kernel needs the NUL");
    }

    @Test
    void realPsiTriggerOnThisMachine() {
        assumeTrue(Files.exists(PROC_PSI), "no " + PROC_PSI + " here");
        assertTimeoutPreemptively(HANG, () -> {
            // A 2 s window needs no CAP_SYS_RESOURCE on kernels since 6.5.
            try (PressureMonitor m = monitor(PressureConfig.fromOptions("some 500ms 2s", 0), PROC_PSI).start()) {
                List<String> warnings = logs.messages(Level.WARN);
                if (!m.watchingPressure()) {
                    // An older kernel refusing an unprivileged trigger: exactly one explanation.
                    assertEquals(1, warnings.size(), warnings.toString());
                    assertTrue(warnings.get(0).startsWith("cannot watch memory pressure"), warnings.get(0));
                    return;
                }
                assertTrue(warnings.isEmpty(), warnings.toString());
                assertTrue(monitorThreadAlive());
                assertTrue(m.pressure().enabled());
                assertEquals("some 500ms 2s", m.pressure().trigger());
                assertTrue(logs.messages(Level.INFO).contains(
                        "purging unpinned memory under memory pressure: trigger 'some 500ms 2s' on " + PROC_PSI));
            }
            assertFalse(monitorThreadAlive());
        });
    }

    @Test
    void aTriggerTheKernelRefusesIsExplainedOnce() {
        assumeTrue(Files.exists(PROC_PSI), "no " + PROC_PSI + " here");
        assumeTrue(!org.ashmemd.sys.PressureFiles.hasCapSysResource(), "with CAP_SYS_RESOURCE a 1 s window is accepted");
        try (PressureMonitor m = monitor(PressureConfig.fromOptions("some 150ms 1s", 0), PROC_PSI).start()) {
            assertFalse(m.watchingPressure());
            List<String> warnings = logs.messages(Level.WARN);
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("without CAP_SYS_RESOURCE"), warnings.get(0));
            assertFalse(m.pressure().enabled());
        }
    }
}
