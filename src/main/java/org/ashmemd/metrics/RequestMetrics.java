package org.ashmemd.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.List;
import org.ashmemd.device.RequestStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request latency histograms and error counters by operation, built at scrape time from the
 * daemon's one request count ({@link RequestStats}, through {@link MetricsSource#requests()}):
 * nothing is counted here. Operations are the daemon's own (every unknown ioctl number is
 * {@code UNKNOWN_IOCTL}), so the label set is bounded whatever clients send.
 */
final class RequestMetrics implements MultiCollector {
    private static final Logger log = LoggerFactory.getLogger(RequestMetrics.class);
    static final String LATENCY = "ashmemd_request_duration_seconds";
    static final String ERRORS = "ashmemd_request_errors";
    private static final double[] BOUNDS_SECONDS = new double[RequestStats.BOUNDS_NANOS.length + 1];

    static {
        for (int i = 0; i < RequestStats.BOUNDS_NANOS.length; i++) {
            BOUNDS_SECONDS[i] = RequestStats.BOUNDS_NANOS[i] / 1e9;
        }
        BOUNDS_SECONDS[RequestStats.BOUNDS_NANOS.length] = Double.POSITIVE_INFINITY;
    }

    private final MetricsSource source;

    RequestMetrics(MetricsSource source) {
        this.source = source;
    }

    @Override
    public MetricSnapshots collect() {
        HistogramSnapshot.Builder latency = HistogramSnapshot.builder().name(LATENCY).unit(Unit.SECONDS)
                .help("Time the daemon took to answer a device request, by operation (a FUSE opcode, or the ioctl's "
                        + "name; each round of an ioctl retry counts as a request)");
        CounterSnapshot.Builder errors = CounterSnapshot.builder().name(ERRORS)
                .help("Device requests answered with an error, by operation and errno");
        List<RequestStats.Operation> ops;
        try {
            ops = source.requests();
        } catch (RuntimeException e) {
            log.warn("metrics: cannot read the daemon's requests: {}", e.toString());
            return MetricSnapshots.of();
        }
        for (RequestStats.Operation o : ops) {
            String name = o.operation().name();
            latency.dataPoint(HistogramDataPointSnapshot.builder()
                    .labels(Labels.of("operation", name))
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS_SECONDS, o.buckets()))
                    .sum(o.sumNanos() / 1e9)
                    .build());
            o.errors().forEach((errno, n) -> errors.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("operation", name, "errno", errno)).value(n).build()));
        }
        return MetricSnapshots.of(latency.build(), errors.build());
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(LATENCY, ERRORS);
    }
}
