package org.ashmemd.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.device.AshmemIoctl;
import org.ashmemd.device.DeviceOperation;
import org.ashmemd.device.RequestStats;
import org.junit.jupiter.api.Test;

/** Request metrics from the daemon's one request count: correct under concurrency, bounded, free of allocation. */
class RequestMetricsTest {
    static final Duration HANG = Duration.ofSeconds(120);
    static final int IOCTL = Opcode.IOCTL.number();
    static final String[] OPS = {"OPEN", "RELEASE", "READ", "SET_NAME", "GET_SIZE", "PIN", "UNPIN", "ASHMEMD_GET_TOKEN"};
    static final int[] OPCODES = {Opcode.OPEN.number(), Opcode.RELEASE.number(), Opcode.READ.number(), IOCTL, IOCTL,
        IOCTL, IOCTL, IOCTL};
    static final int[] CMDS = {0, 0, 0, AshmemIoctl.SET_NAME, AshmemIoctl.GET_SIZE, AshmemIoctl.PIN, AshmemIoctl.UNPIN,
        AshmemIoctl.ASHMEMD_GET_TOKEN};
    static final int[] ERRNOS = {0, 0, 0, 22, 14, 25, 1, 12};

    final PrometheusRegistry registry = new PrometheusRegistry();
    final RequestStats stats = new RequestStats();

    RequestMetricsTest() {
        registry.register(new RequestMetrics(new MetricsSource() {
            @Override
            public DaemonStatus status() {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<RegionInfo> regions() {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<RequestStats.Operation> requests() {
                return stats.snapshot();
            }

            @Override
            public PurgeCount purges(PurgeCause cause) {
                throw new UnsupportedOperationException();
            }
        }));
    }

    void record(int op, int errno, long nanos) {
        stats.requestDone(OPCODES[op], CMDS[op], errno, nanos);
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
    void theDaemonsRequestCountIsWhatIsExposed() throws IOException {
        stats.requestDone(Opcode.OPEN.number(), 0, 0, 12_000);
        assertEquals(1.0, count(scrape(), "OPEN"));
        assertEquals(Map.of("OPEN", 1L), stats.requests(), "the status reads the same count");
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
                            record(op, errno, rnd.nextInt(2_000_000));
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
        stats.requestDone(Opcode.OPEN.number(), 0, 0, 1000);
        for (int i = 0; i < 1000; i++) {
            stats.requestDone(IOCTL, 0xc0047700 + i, 25, 1000); // an unknown ioctl, by number
        }
        stats.requestDone(4242, 0, 0, 1000); // an opcode no CUSE server receives
        stats.requestDone(0, 0, 0, 1000); // a frame too short to carry one
        Exposition e = scrape();
        assertEquals(1.0, count(e, "OPEN"));
        assertEquals(1000.0, count(e, "UNKNOWN_IOCTL"));
        assertEquals(1000.0, errors(e, "UNKNOWN_IOCTL", "ENOTTY"));
        assertEquals(2.0, count(e, "UNKNOWN_OPCODE"));
        long series = e.samples.keySet().stream().filter(k -> k.startsWith("ashmemd_request_duration_seconds_count"))
                .count();
        assertEquals(3, series);
    }

    @Test
    void atMostOneSeriesPerDeviceOperation() throws IOException {
        for (int opcode = 0; opcode < 5000; opcode++) {
            stats.requestDone(opcode, 0, 0, 1000);
        }
        for (int n = 0; n < 100_000; n++) {
            stats.requestDone(IOCTL, n * 40_503, 0, 1000);
        }
        Exposition e = scrape();
        long series = e.samples.keySet().stream().filter(k -> k.startsWith("ashmemd_request_duration_seconds_count"))
                .count();
        assertTrue(series <= DeviceOperation.values().length, Long.toString(series));
        assertEquals(105_000.0, e.samples.entrySet().stream()
                .filter(x -> x.getKey().startsWith("ashmemd_request_duration_seconds_count"))
                .mapToDouble(Map.Entry::getValue).sum());
    }

    @Test
    void unknownAndLargeErrnosStillCount() throws IOException {
        stats.requestDone(Opcode.READ.number(), 0, 200, 1000);
        stats.requestDone(Opcode.READ.number(), 0, 4000, 1000);
        stats.requestDone(Opcode.READ.number(), 0, -22, 1000);
        Exposition e = scrape();
        assertEquals(1.0, errors(e, "READ", "errno 200"));
        assertEquals(1.0, errors(e, "READ", "EOTHER"), "errnos beyond 255 share one slot");
        assertEquals(1.0, errors(e, "READ", "EINVAL"));
    }

    @Test
    void recordAllocatesNothingOnceWarm() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "no allocation counter in this JVM");
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(tmx.isThreadAllocatedMemorySupported() && tmx.isThreadAllocatedMemoryEnabled());
        long tid = Thread.currentThread().getId();
        for (int i = 0; i < OPS.length; i++) { // each series and errno counter once
            record(i % OPS.length, ERRNOS[i % OPS.length], i);
        }
        long before = tmx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 200_000; i++) {
            record(i % OPS.length, ERRNOS[i % OPS.length], i * 7L);
        }
        long allocated = tmx.getThreadAllocatedBytes(tid) - before;
        // One object per request would be at least 3.2 MB; allow a few bytes the JVM itself may
        // charge to this thread (the allocation counter's own bookkeeping, deoptimization).
        assertTrue(allocated < 4096, allocated + " bytes allocated by 200000 records");
    }
}
