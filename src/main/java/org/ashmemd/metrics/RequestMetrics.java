package org.ashmemd.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.ashmemd.posix.Errno;

/**
 * Request latency histograms and error counters by operation, fed once per device request.
 *
 * <p>{@link #record} is on every request's path. After an operation's first request it is a map
 * lookup, a scan of 14 bounds and two or three {@link LongAdder} adds: no allocation and no
 * shared atomic that all workers would fight over, whatever the JIT does. (The client library's
 * own Histogram allocates on each observation until the JIT removes it, and counts every
 * observation of a series in one atomic.) Snapshots are built at scrape time.
 *
 * <p>The daemon names operations by {@code DeviceOperation} (every unknown ioctl number is
 * {@code UNKNOWN_IOCTL}), so the label set is the daemon's own; as a second bound whatever feeds
 * this, only well-formed names get series of their own, at most {@link #MAX_OPERATIONS} of them,
 * and the rest share {@value #OTHER}.
 */
public final class RequestMetrics implements MultiCollector {
    /** 5 µs (a cached answer) to 100 ms (a stalled purge or a huge read). */
    static final long[] BOUNDS_NANOS = {
        5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000,
    };
    private static final double[] BOUNDS_SECONDS = new double[BOUNDS_NANOS.length + 1];
    static final int MAX_OPERATIONS = 64;
    static final String OTHER = "OTHER";
    static final String LATENCY = "ashmemd_request_duration_seconds";
    static final String ERRORS = "ashmemd_request_errors";
    /** Errno numbers below this get an array slot; Linux's go up to 133. */
    private static final int CACHED_ERRNOS = 256;

    static {
        for (int i = 0; i < BOUNDS_NANOS.length; i++) {
            BOUNDS_SECONDS[i] = BOUNDS_NANOS[i] / 1e9;
        }
        BOUNDS_SECONDS[BOUNDS_NANOS.length] = Double.POSITIVE_INFINITY;
    }

    private static final class Series {
        final String operation;
        /** Not cumulative: bucket i counts latencies in (bound i-1, bound i]; the last is over 100 ms. */
        final LongAdder[] buckets = new LongAdder[BOUNDS_NANOS.length + 1];
        final LongAdder sumNanos = new LongAdder();
        final AtomicReferenceArray<LongAdder> errors = new AtomicReferenceArray<>(CACHED_ERRNOS);
        final ConcurrentHashMap<Integer, LongAdder> otherErrors = new ConcurrentHashMap<>();

        Series(String operation) {
            this.operation = operation;
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        void observe(long nanos) {
            int i = 0;
            while (i < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[i]) {
                i++;
            }
            buckets[i].increment();
            sumNanos.add(Math.max(0, nanos));
        }

        void error(int errno) {
            if (errno > 0 && errno < CACHED_ERRNOS) {
                LongAdder a = errors.get(errno);
                if (a == null) {
                    errors.compareAndSet(errno, null, new LongAdder());
                    a = errors.get(errno);
                }
                a.increment();
            } else {
                otherErrors.computeIfAbsent(errno, k -> new LongAdder()).increment();
            }
        }
    }

    private final ConcurrentHashMap<String, Series> series = new ConcurrentHashMap<>();
    private final Series other = new Series(OTHER);

    /**
     * One answered request: its operation name, the errno answered (0 on success) and how long
     * it took. Thread-safe; fits {@code RequestStats.LatencySink}.
     */
    public void record(String operation, int errno, long elapsedNanos) {
        Series s = series.get(operation);
        if (s == null) {
            s = seriesFor(operation);
        }
        s.observe(elapsedNanos);
        if (errno != 0) {
            s.error(Math.abs(errno));
        }
    }

    private Series seriesFor(String operation) {
        if (!wellFormed(operation)) {
            return other;
        }
        synchronized (series) {
            Series s = series.get(operation);
            if (s == null) {
                if (series.size() >= MAX_OPERATIONS) {
                    return other;
                }
                s = new Series(operation);
                series.put(operation, s);
            }
            return s;
        }
    }

    /** Upper-case letters, digits and underscores, starting with a letter, as opcode and ioctl names are. */
    static boolean wellFormed(String op) {
        if (op == null || op.isEmpty() || op.length() > 40 || op.equals(OTHER)) {
            return false;
        }
        if (op.charAt(0) < 'A' || op.charAt(0) > 'Z') {
            return false;
        }
        for (int i = 1; i < op.length(); i++) {
            char c = op.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, Series> all = new TreeMap<>(series);
        if (total(other) > 0) {
            all.put(OTHER, other);
        }
        HistogramSnapshot.Builder latency = HistogramSnapshot.builder().name(LATENCY).unit(Unit.SECONDS)
                .help("Time the daemon took to answer a device request, by operation (a FUSE opcode, or the ioctl's "
                        + "name; each round of an ioctl retry counts as a request)");
        CounterSnapshot.Builder errors = CounterSnapshot.builder().name(ERRORS)
                .help("Device requests answered with an error, by operation and errno");
        for (Series s : all.values()) {
            long[] counts = new long[s.buckets.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = s.buckets[i].sum();
            }
            latency.dataPoint(HistogramDataPointSnapshot.builder()
                    .labels(Labels.of("operation", s.operation))
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS_SECONDS, counts))
                    .sum(s.sumNanos.sum() / 1e9)
                    .build());
            for (int errno = 1; errno < CACHED_ERRNOS; errno++) {
                LongAdder a = s.errors.get(errno);
                if (a != null) {
                    errors.dataPoint(errorPoint(s.operation, errno, a.sum()));
                }
            }
            new TreeMap<>(s.otherErrors).forEach((errno, a) -> errors.dataPoint(errorPoint(s.operation, errno, a.sum())));
        }
        return MetricSnapshots.of(latency.build(), errors.build());
    }

    private static long total(Series s) {
        long n = 0;
        for (LongAdder b : s.buckets) {
            n += b.sum();
        }
        return n;
    }

    private static CounterDataPointSnapshot errorPoint(String operation, int errno, long value) {
        return CounterDataPointSnapshot.builder().labels(Labels.of("operation", operation, "errno", Errno.nameOf(errno)))
                .value(value).build();
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(LATENCY, ERRORS);
    }
}
