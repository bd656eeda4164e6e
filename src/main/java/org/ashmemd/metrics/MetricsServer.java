package org.ashmemd.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the daemon's metrics in the Prometheus text format on {@code http://ADDRESS/metrics}.
 * Everything is read from the {@link MetricsSource} at each scrape. Scrapes are answered by a
 * fixed pool of {@value #THREADS} daemon threads started with the server: the library's own pool
 * grows by a thread whenever two scrapes meet and keeps it for two minutes, which made the
 * daemon's thread count depend on its scrapers' timing.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    static final int THREADS = 2;

    private final PrometheusRegistry registry;
    private final HTTPServer http;
    private final InetSocketAddress address;
    private volatile boolean closed;

    private MetricsServer(PrometheusRegistry registry, HTTPServer http, InetSocketAddress address) {
        this.registry = registry;
        this.http = http;
        this.address = address;
    }

    /**
     * Binds {@code address} (port 0 picks a free port) and starts serving.
     *
     * @throws IOException when the address cannot be bound
     */
    public static MetricsServer start(InetSocketAddress address, MetricsSource source) throws IOException {
        Objects.requireNonNull(source, "source");
        if (address.isUnresolved()) {
            throw new UnknownHostException("cannot resolve " + address.getHostString());
        }
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new RequestMetrics(source));
        registry.register(new StateCollector(source));
        ExecutorService threads = scrapeThreads();
        HTTPServer http;
        try {
            http = HTTPServer.builder()
                    .inetAddress(address.getAddress())
                    .port(address.getPort())
                    .registry(registry)
                    .executorService(threads)
                    .buildAndStart();
        } catch (IOException | RuntimeException e) {
            threads.shutdownNow();
            throw e;
        }
        InetSocketAddress bound = new InetSocketAddress(address.getAddress(), http.getPort());
        log.info("metrics on http://{}/metrics", format(bound));
        return new MetricsServer(registry, http, bound);
    }

    /** {@link #THREADS} threads, all started now; the HTTP server shuts them down when closed. */
    private static ExecutorService scrapeThreads() {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "metrics-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.prestartAllCoreThreads();
        return pool;
    }

    /** The address actually bound. */
    public InetSocketAddress address() {
        return address;
    }

    PrometheusRegistry registry() {
        return registry;
    }

    /** Stops serving; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        http.close();
    }

    /**
     * Parses the {@code --metrics-address} value: {@code HOST:PORT}, {@code [IPv6]:PORT}, or
     * {@code :PORT} for every local address. The host is resolved now.
     *
     * @throws IllegalArgumentException with a message fit for the command line
     */
    public static InetSocketAddress parseAddress(String text) {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("bad metrics address '" + text + "': expected HOST:PORT, e.g. 127.0.0.1:9464");
        }
        String host = t.substring(0, colon);
        String portText = t.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("bad metrics address '" + text + "': write IPv6 addresses in brackets, "
                    + "e.g. [::1]:9464");
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad metrics address '" + text + "': '" + portText + "' is not a port");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("bad metrics address '" + text + "': port out of range");
        }
        if (host.isEmpty()) {
            return new InetSocketAddress(port);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad metrics address '" + text + "': unknown host '" + host + "'");
        }
    }

    static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
