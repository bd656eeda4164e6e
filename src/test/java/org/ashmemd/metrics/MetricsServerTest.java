package org.ashmemd.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.control.Opener;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.device.AshmemIoctl;
import org.ashmemd.device.RequestStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP endpoint scraped as Prometheus would, over a fake daemon. */
class MetricsServerTest {
    static final long MIB = 1 << 20;
    static final int OPEN = Opcode.OPEN.number();
    static final int IOCTL = Opcode.IOCTL.number();

    /** A daemon whose state the test sets. */
    static final class FakeSource implements MetricsSource {
        volatile int regionCount = 3;
        volatile RuntimeException statusFails;
        final List<RegionInfo> regions = new ArrayList<>();
        final Map<PurgeCause, PurgeCount> purges = new EnumMap<>(PurgeCause.class);
        final AtomicInteger statusCalls = new AtomicInteger();
        final AtomicInteger regionCalls = new AtomicInteger();
        final RequestStats requestStats = new RequestStats();

        @Override
        public DaemonStatus status() {
            statusCalls.incrementAndGet();
            if (statusFails != null) {
                throw statusFails;
            }
            return new DaemonStatus("1.2.3", 4242, 1_700_000_000_500L, 60, "6.1.0", "/dev/ashmem", "10:62",
                    regionCount, 2, 12 * MIB, 5 * MIB, 3 * MIB, MIB, 7 * MIB, Map.of("OPEN", 9L), Map.of(),
                    new DaemonStatus.Broker("/run/ashmemd/broker.sock", 11, 2, 1, 3, 4, 5),
                    new DaemonStatus.Pressure(true, "some 200ms 2s", 6, 8, 900, 64 * MIB),
                    new DaemonStatus.Limits(0, 0, 0, 0, 0),
                    new DaemonStatus.Restart(true, DaemonStatus.Restart.PLANNED_RESTART, 80, 0, 3, 24 * 1024,
                            16 * MIB, 2, 82, 3 * MIB, 7, 1));
        }

        @Override
        public List<RegionInfo> regions() {
            regionCalls.incrementAndGet();
            synchronized (regions) {
                return new ArrayList<>(regions);
            }
        }

        @Override
        public List<RequestStats.Operation> requests() {
            return requestStats.snapshot();
        }

        @Override
        public PurgeCount purges(PurgeCause cause) {
            return purges.getOrDefault(cause, PurgeCount.NONE);
        }

        void region(long id, String container, long size, long resident, long unpinned, long purged) {
            Opener o = new Opener(100 + (int) id, 100 + (int) id, "app", "app", 1000, "/lxc.payload." + container,
                    container);
            synchronized (regions) {
                regions.add(new RegionInfo(id, "dev/ashmem/r" + id, null, size, 3, true, 77, resident, unpinned, purged,
                        List.of(), o, true, 0));
            }
        }
    }

    FakeSource source;
    MetricsServer server;
    HttpClient http;

    @BeforeEach
    void setUp() throws IOException {
        source = new FakeSource();
        source.region(1, "", 4 * MIB, 2 * MIB, MIB, 0);
        source.region(2, "waydroid", 6 * MIB, 3 * MIB, 2 * MIB, MIB);
        source.region(3, "waydroid", 2 * MIB, 0, 0, 0);
        source.purges.put(PurgeCause.PRESSURE, new PurgeCount(900, 8));
        source.purges.put(PurgeCause.ADMIN, new PurgeCount(10, 1));
        server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), source);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        URI uri = URI.create("http://" + MetricsServer.format(server.address()) + path);
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    Exposition scrape() throws IOException, InterruptedException {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                r.headers().toString());
        return Exposition.parse(r.body());
    }

    @Test
    void bindsAnEphemeralLoopbackPort() {
        assertNotEquals(0, server.address().getPort());
        assertTrue(server.address().getAddress().isLoopbackAddress());
    }

    @Test
    void regionGaugesComeFromTheStatus() throws Exception {
        Exposition e = scrape();
        assertEquals(3.0, e.get("ashmemd_regions"));
        assertEquals(2.0, e.get("ashmemd_mapped_regions"));
        assertEquals(12.0 * MIB, e.get("ashmemd_region_bytes{state=\"size\"}"));
        assertEquals(5.0 * MIB, e.get("ashmemd_region_bytes{state=\"resident\"}"));
        assertEquals(3.0 * MIB, e.get("ashmemd_region_bytes{state=\"unpinned\"}"));
        assertEquals(1.0 * MIB, e.get("ashmemd_region_bytes{state=\"purged\"}"));
        assertEquals(1_700_000_000.5, e.get("ashmemd_start_time_seconds"));
        assertEquals(1.0, e.get("ashmemd_build_info{version=\"1.2.3\"}"));
        assertEquals("gauge", e.type.get("ashmemd_region_bytes"));
    }

    @Test
    void gaugesAreComputedAtEachScrape() throws Exception {
        assertEquals(3.0, scrape().get("ashmemd_regions"));
        source.regionCount = 17;
        source.region(4, "redroid", MIB, MIB, 0, 0);
        Exposition e = scrape();
        assertEquals(17.0, e.get("ashmemd_regions"));
        assertEquals(1.0, e.get("ashmemd_container_regions{container=\"redroid\"}"));
        assertEquals(2, source.statusCalls.get(), "one status per scrape");
        assertEquals(2, source.regionCalls.get(), "one region list per scrape");
    }

    @Test
    void perContainerTotalsWithTheHostForNoContainer() throws Exception {
        Exposition e = scrape();
        assertEquals(1.0, e.get("ashmemd_container_regions{container=\"host\"}"));
        assertEquals(2.0, e.get("ashmemd_container_regions{container=\"waydroid\"}"));
        assertEquals(4.0 * MIB, e.get("ashmemd_container_region_bytes{container=\"host\",state=\"size\"}"));
        assertEquals(8.0 * MIB, e.get("ashmemd_container_region_bytes{container=\"waydroid\",state=\"size\"}"));
        assertEquals(3.0 * MIB, e.get("ashmemd_container_region_bytes{container=\"waydroid\",state=\"resident\"}"));
        assertEquals(2.0 * MIB, e.get("ashmemd_container_region_bytes{container=\"waydroid\",state=\"unpinned\"}"));
        assertEquals(1.0 * MIB, e.get("ashmemd_container_region_bytes{container=\"waydroid\",state=\"purged\"}"));
        assertEquals(0.0, e.get("ashmemd_container_region_bytes{container=\"host\",state=\"purged\"}"));
        assertNull(e.get("ashmemd_container_regions{container=\"\"}"));
    }

    @Test
    void hostileContainerNamesStayValidExpositionText() throws Exception {
        String evil = "evil\u001b[2J\n} 1\nashmemd_regions{x=\"y\"} 666\r\"\\\u202e\u0085";
        source.region(4, evil, MIB, 0, 0, 0);
        HttpResponse<String> r = get("/metrics");
        String body = r.body();
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            int at = i;
            assertFalse(c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f || c == '\u202e',
                    () -> "raw U+" + Integer.toHexString(c) + " at " + at);
        }
        Exposition e = Exposition.parse(body);
        assertEquals(3.0, e.get("ashmemd_regions"), "no forged sample");
        String label = org.ashmemd.text.Escape.text(evil).replace("\\", "\\\\").replace("\"", "\\\"");
        assertEquals(1.0, e.get("ashmemd_container_regions{container=\"" + label + "\"}"), body);
    }

    @Test
    void containerSeriesAreCapped() throws Exception {
        for (int i = 0; i < 500; i++) {
            source.region(100 + i, "box" + i, MIB, 0, 0, 0);
        }
        Exposition e = scrape();
        long series = e.samples.keySet().stream().filter(k -> k.startsWith("ashmemd_container_regions{")).count();
        assertEquals(StateCollector.MAX_CONTAINERS, series);
        assertEquals(2.0, e.get("ashmemd_container_regions{container=\"waydroid\"}"), "the largest keep their own");
        double total = e.samples.entrySet().stream().filter(x -> x.getKey().startsWith("ashmemd_container_regions{"))
                .mapToDouble(Map.Entry::getValue).sum();
        assertEquals(503.0, total, "the rest are summed under " + StateCollector.OTHER_CONTAINERS);
        assertTrue(e.get("ashmemd_container_regions{container=\"(other)\"}") > 400);
    }

    @Test
    void brokerPressureAndPurges() throws Exception {
        Exposition e = scrape();
        assertEquals(11.0, e.get("ashmemd_broker_token_requests_total{result=\"granted\"}"));
        assertEquals(2.0, e.get("ashmemd_broker_token_requests_total{result=\"refused\"}"));
        assertEquals(1.0, e.get("ashmemd_broker_token_requests_total{result=\"malformed\"}"));
        assertEquals(3.0, e.get("ashmemd_broker_token_requests_total{result=\"timed_out\"}"));
        assertEquals(4.0, e.get("ashmemd_broker_connections"));
        assertEquals(5.0, e.get("ashmemd_broker_outstanding_tokens"));
        assertEquals("counter", e.type.get("ashmemd_broker_token_requests_total"));

        assertEquals(1.0, e.get("ashmemd_pressure_watching"));
        assertEquals(6.0, e.get("ashmemd_pressure_events_total"));
        assertEquals(64.0 * MIB, e.get("ashmemd_unpinned_soft_limit_bytes"));

        assertEquals(900.0, e.get("ashmemd_purged_pages_total{cause=\"pressure\"}"));
        assertEquals(8.0, e.get("ashmemd_purge_bursts_total{cause=\"pressure\"}"));
        assertEquals(10.0, e.get("ashmemd_purged_pages_total{cause=\"admin\"}"));
        assertEquals(0.0, e.get("ashmemd_purged_pages_total{cause=\"purge_all_caches\"}"));
        assertEquals(0.0, e.get("ashmemd_purge_bursts_total{cause=\"soft_limit\"}"));
    }

    @Test
    void whatARestartWouldKeep() throws Exception {
        Exposition e = scrape();
        assertEquals(1.0, e.get("ashmemd_restart_kept"));
        assertEquals(24.0 * 1024, e.get("ashmemd_restart_state_bytes"));
        assertEquals(82.0, e.get("ashmemd_restart_parked_memfds"));
        assertEquals(7.0, e.get("ashmemd_restart_unrecorded_changes"));
        assertEquals(1.0, e.get("ashmemd_restart_unparked_regions"));
        assertEquals("gauge", e.type.get("ashmemd_restart_unrecorded_changes"));
    }

    @Test
    void requestLatenciesAndErrors() throws Exception {
        RequestStats rs = source.requestStats;
        rs.requestDone(OPEN, 0, 0, 3_000);                             // 3 µs: the first bucket
        rs.requestDone(OPEN, 0, 0, 40_000);                            // 40 µs
        rs.requestDone(IOCTL, AshmemIoctl.SET_SIZE, 22, 7_000);        // EINVAL
        rs.requestDone(IOCTL, AshmemIoctl.SET_SIZE, 22, 8_000);
        rs.requestDone(IOCTL, AshmemIoctl.PIN, 14, 200_000_000);       // EFAULT, 200 ms
        rs.requestDone(IOCTL, AshmemIoctl.PIN, 0, 12_000_000_000L);    // 12 s: over the last bucket

        Exposition e = scrape();
        String open = "ashmemd_request_duration_seconds_bucket{operation=\"OPEN\",le=\"";
        assertEquals(1.0, e.get(open + "5.0E-6\"}"));
        assertEquals(1.0, e.get(open + "2.5E-5\"}"));
        assertEquals(2.0, e.get(open + "5.0E-5\"}"));
        assertEquals(2.0, e.get(open + "0.1\"}"));
        assertEquals(2.0, e.get(open + "+Inf\"}"));
        assertEquals(2.0, e.get("ashmemd_request_duration_seconds_count{operation=\"OPEN\"}"));
        assertEquals(43e-6, e.get("ashmemd_request_duration_seconds_sum{operation=\"OPEN\"}"), 1e-12);
        String pin = "ashmemd_request_duration_seconds_bucket{operation=\"PIN\",le=\"";
        assertEquals(0.0, e.get(pin + "0.1\"}"));
        assertEquals(1.0, e.get(pin + "0.25\"}"));
        assertEquals(1.0, e.get(pin + "1.0\"}"));
        assertEquals(1.0, e.get(pin + "2.5\"}"));
        assertEquals(1.0, e.get(pin + "10.0\"}"));
        assertEquals(2.0, e.get(pin + "+Inf\"}"));
        assertEquals("histogram", e.type.get("ashmemd_request_duration_seconds"));

        assertEquals(2.0, e.get("ashmemd_request_errors_total{errno=\"EINVAL\",operation=\"SET_SIZE\"}"));
        assertEquals(1.0, e.get("ashmemd_request_errors_total{errno=\"EFAULT\",operation=\"PIN\"}"));
        assertNull(e.get("ashmemd_request_errors_total{errno=\"EINVAL\",operation=\"OPEN\"}"));
    }

    @Test
    void everyFamilyHasHelpAndTheAshmemdPrefix() throws Exception {
        source.requestStats.requestDone(Opcode.READ.number(), 0, 5, 1000);
        Exposition e = scrape();
        List<String> expected = List.of("ashmemd_build_info", "ashmemd_start_time_seconds", "ashmemd_regions",
                "ashmemd_mapped_regions", "ashmemd_region_bytes", "ashmemd_container_regions",
                "ashmemd_container_region_bytes", "ashmemd_request_duration_seconds", "ashmemd_request_errors_total",
                "ashmemd_purged_pages_total", "ashmemd_purge_bursts_total", "ashmemd_broker_token_requests_total",
                "ashmemd_broker_connections", "ashmemd_broker_outstanding_tokens", "ashmemd_pressure_watching",
                "ashmemd_pressure_events_total", "ashmemd_unpinned_soft_limit_bytes", "ashmemd_restart_kept",
                "ashmemd_restart_state_bytes", "ashmemd_restart_parked_memfds",
                "ashmemd_restart_unrecorded_changes", "ashmemd_restart_unparked_regions");
        for (String family : expected) {
            assertTrue(e.hasFamily(family), family + " missing from " + e.type.keySet());
            assertFalse(e.help.getOrDefault(family, "").isBlank(), family + " has no HELP");
        }
        for (String family : e.type.keySet()) {
            assertTrue(family.startsWith("ashmemd_"), family);
        }
    }

    @Test
    void aFailingSourceCostsOnlyItsOwnMetrics() throws Exception {
        source.statusFails = new IllegalStateException("registry gone");
        source.requestStats.requestDone(OPEN, 0, 0, 1000);
        Exposition e = scrape();
        assertNull(e.get("ashmemd_regions"));
        assertEquals(1.0, e.get("ashmemd_container_regions{container=\"host\"}"));
        assertEquals(1.0, e.get("ashmemd_request_duration_seconds_count{operation=\"OPEN\"}"));
        assertEquals(900.0, e.get("ashmemd_purged_pages_total{cause=\"pressure\"}"));
    }

    @Test
    void openMetricsOnRequestWithUnits() throws Exception {
        URI uri = URI.create("http://" + MetricsServer.format(server.address()) + "/metrics");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("# UNIT ashmemd_region_bytes bytes\n"), r.body());
        assertTrue(r.body().endsWith("# EOF\n"));
    }

    @Test
    void closeStopsServingAndIsIdempotent() throws Exception {
        assertEquals(200, get("/metrics").statusCode());
        server.close();
        server.close();
        assertThrows(ConnectException.class, () -> get("/metrics"));
    }

    @Test
    void aBusyPortIsAnIOException() throws InterruptedException {
        assertThrows(IOException.class, () -> MetricsServer.start(server.address(), source).close());
        assertEquals(MetricsServer.THREADS, scrapeThreadsSettled(MetricsServer.THREADS),
                "the failed server's threads were left running");
    }

    @Test
    void concurrentScrapesDoNotAddThreads() throws Exception {
        assertEquals(MetricsServer.THREADS, scrapeThreadsSettled(MetricsServer.THREADS));
        ExecutorService scrapers = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 5; round++) {
                List<Future<Integer>> codes = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    codes.add(scrapers.submit(() -> get("/metrics").statusCode()));
                }
                for (Future<Integer> code : codes) {
                    assertEquals(200, code.get());
                }
            }
        } finally {
            scrapers.shutdownNow();
        }
        assertEquals(MetricsServer.THREADS, scrapeThreads());
    }

    @Test
    void closeEndsTheScrapeThreads() throws Exception {
        server.close();
        assertEquals(0, scrapeThreadsSettled(0));
    }

    /**
     * Live scrape threads once their number is {@code expected} or 5 s have passed: the previous
     * test's server shuts its threads down asynchronously.
     */
    private static long scrapeThreadsSettled(long expected) throws InterruptedException {
        for (int i = 0; i < 500 && scrapeThreads() != expected; i++) {
            Thread.sleep(10);
        }
        return scrapeThreads();
    }

    /** Live scrape threads of any metrics server in this JVM (only this class starts them). */
    private static long scrapeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("metrics-http-"))
                .count();
    }

    @Test
    void parseAddress() {
        InetSocketAddress a = MetricsServer.parseAddress("127.0.0.1:9464");
        assertEquals("127.0.0.1", a.getAddress().getHostAddress());
        assertEquals(9464, a.getPort());

        InetSocketAddress v6 = MetricsServer.parseAddress("[::1]:9464");
        assertTrue(v6.getAddress().isLoopbackAddress());
        assertEquals("[0:0:0:0:0:0:0:1]:9464", MetricsServer.format(v6));

        InetSocketAddress any = MetricsServer.parseAddress(":9100");
        assertTrue(any.getAddress().isAnyLocalAddress());
        assertEquals(9100, any.getPort());

        assertTrue(MetricsServer.parseAddress("localhost:0").getAddress().isLoopbackAddress());

        for (String bad : new String[] {"9464", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", "::1:9464",
            "no-such-host.invalid:9464"}) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> MetricsServer.parseAddress(bad), bad);
            assertTrue(ex.getMessage().startsWith("bad metrics address '" + bad + "'"), ex.getMessage());
        }
    }
}
