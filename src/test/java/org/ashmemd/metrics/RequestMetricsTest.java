package org.ashmemd.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ashmemd.device.RequestStats;
import org.junit.jupiter.api.Test;

/** The per-request sink: correct under concurrency, bounded in series, free of allocation. */
class RequestMetricsTest {
    static final Duration HANG = Duration.ofSeconds(120);
    static final String[] OPS = {"OPEN", "RELEASE", "READ", "SET_NAME", "GET_SIZE", "PIN", "UNPIN", "ASHMEMD_GET_TOKEN"};
    static final int[] ERRNOS = {0, 0, 0, 22, 14, 25, 1, 12};

    final PrometheusRegistry registry = new PrometheusRegistry();
    final RequestMetrics metrics = new RequestMetrics();

    RequestMetricsTest() {
        registry.register(metrics);
    }

    Exposition scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return Exposition.parse(out.toString(StandardCharsets.UTF_8));
    }

    static double count(Exposition e, String op) {
        Double v = e.get("ashmemd_request_duration_seconds_count{operation=\"" + op + "\"}");
        return v == null ? 0 : v;
    }

    static double errors(Exposition e, String op, String errno) {
        Double v = e.get("ashmemd_request_errors_total{errno=\"" + errno + "\",operation=\"" + op + "\"}");
        return v == null ? 0 : v;
    }

    @Test
    void fitsTheDaemonsLatencySink() throws IOException {
        RequestStats stats = new RequestStats();
        stats.setLatencySink(metrics::record);
        stats.requestDone(14, 0, 0, 12_000); // OPEN
        assertEquals(1.0, count(scrape(), "OPEN"));
    }

    @Test
    void concurrentRecordsAllCountWhileScrapesRun() throws Exception {
        int threads = 8;
        int perThread = 50_000;
        assertTimeoutPreemptively(HANG, () -> {
            ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
            try {
                CountDownLatch go = new CountDownLatch(1);
                AtomicBoolean recording = new AtomicBoolean(true);
                List<Future<long[][]>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    long seed = 1000 + t;
                    results.add(pool.submit(() -> {
                        long[][] mine = new long[OPS.length][2]; // requests, errors
                        Random rnd = new Random(seed);
                        go.await();
                        for (int i = 0; i < perThread; i++) {
                            int op = rnd.nextInt(OPS.length);
                            int errno = rnd.nextInt(3) == 0 ? ERRNOS[op] : 0;
                            metrics.record(OPS[op], errno, rnd.nextInt(2_000_000));
                            mine[op][0]++;
                            if (errno != 0) {
                                mine[op][1]++;
                            }
                        }
                        return mine;
                    }));
                }
                // Scrapes run during recording; afterwards every request must be counted.
                Future<Integer> scraper = pool.submit(() -> {
                    go.await();
                    int n = 0;
                    while (recording.get()) {
                        scrape();
                        n++;
                    }
                    return n;
                });
                go.countDown();
                long[][] expected = new long[OPS.length][2];
                for (Future<long[][]> f : results) {
                    long[][] r = f.get();
                    for (int op = 0; op < OPS.length; op++) {
                        expected[op][0] += r[op][0];
                        expected[op][1] += r[op][1];
                    }
                }
                recording.set(false);
                assertTrue(scraper.get() > 0);

                Exposition e = scrape();
                long total = 0;
                for (int op = 0; op < OPS.length; op++) {
                    assertEquals(expected[op][0], count(e, OPS[op]), OPS[op]);
                    total += (long) count(e, OPS[op]);
                    String errno = org.ashmemd.posix.Errno.nameOf(ERRNOS[op]);
                    if (ERRNOS[op] != 0) {
                        assertEquals(expected[op][1], errors(e, OPS[op], errno), OPS[op] + " " + errno);
                    }
                    assertEquals(expected[op][0],
                            e.get("ashmemd_request_duration_seconds_bucket{operation=\"" + OPS[op] + "\",le=\"+Inf\"}"));
                }
                assertEquals((long) threads * perThread, total);
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @Test
    void operationNamesAreBoundedAgainstClientChosenIoctlNumbers() throws IOException {
        metrics.record("OPEN", 0, 1000);
        for (int i = 0; i < 1000; i++) {
            metrics.record("0x" + Integer.toHexString(0xc0047700 + i), 25, 1000); // an unknown ioctl, by number
        }
        metrics.record("lower_case", 0, 1000);
        metrics.record("", 0, 1000);
        Exposition e = scrape();
        assertEquals(1.0, count(e, "OPEN"));
        assertEquals(1002.0, count(e, RequestMetrics.OTHER));
        assertEquals(1000.0, errors(e, RequestMetrics.OTHER, "ENOTTY"));
        long series = e.samples.keySet().stream().filter(k -> k.startsWith("ashmemd_request_duration_seconds_count"))
                .count();
        assertEquals(2, series);
    }

    @Test
    void atMostMaxOperationsSeries() throws IOException {
        for (int i = 0; i < RequestMetrics.MAX_OPERATIONS + 10; i++) {
            metrics.record("OP_" + i, 0, 1000);
        }
        Exposition e = scrape();
        assertEquals(1.0, count(e, "OP_0"));
        assertEquals(1.0, count(e, "OP_" + (RequestMetrics.MAX_OPERATIONS - 1)));
        assertEquals(0.0, count(e, "OP_" + RequestMetrics.MAX_OPERATIONS));
        assertEquals(10.0, count(e, RequestMetrics.OTHER));
    }

    @Test
    void unknownAndLargeErrnosStillCount() throws IOException {
        metrics.record("READ", 200, 1000);
        metrics.record("READ", 4000, 1000);
        metrics.record("READ", -22, 1000);
        Exposition e = scrape();
        assertEquals(1.0, errors(e, "READ", "errno 200"));
        assertEquals(1.0, errors(e, "READ", "errno 4000"));
        assertEquals(1.0, errors(e, "READ", "EINVAL"));
    }

    @Test
    void wellFormed() {
        assertTrue(RequestMetrics.wellFormed("ASHMEMD_GET_TOKEN"));
        assertTrue(RequestMetrics.wellFormed("CUSE_INIT"));
        assertFalse(RequestMetrics.wellFormed("0x7701"));
        assertFalse(RequestMetrics.wellFormed("Open"));
        assertFalse(RequestMetrics.wellFormed("OTHER"));
        assertFalse(RequestMetrics.wellFormed(null));
        assertFalse(RequestMetrics.wellFormed("A".repeat(41)));
    }

    @Test
    void recordAllocatesNothingOnceWarm() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "no allocation counter in this JVM");
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(tmx.isThreadAllocatedMemorySupported() && tmx.isThreadAllocatedMemoryEnabled());
        long tid = Thread.currentThread().getId();
        for (int i = 0; i < OPS.length; i++) { // each series and errno counter once
            metrics.record(OPS[i % OPS.length], ERRNOS[i % OPS.length], i);
        }
        long before = tmx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 200_000; i++) {
            metrics.record(OPS[i % OPS.length], ERRNOS[i % OPS.length], i * 7L);
        }
        long allocated = tmx.getThreadAllocatedBytes(tid) - before;
        // One object per request would be at least 3.2 MB; allow a few bytes the JVM itself may
        // charge to this thread (the allocation counter's own bookkeeping, deoptimization).
        assertTrue(allocated < 4096, allocated + " bytes allocated by 200000 records");
    }
}
