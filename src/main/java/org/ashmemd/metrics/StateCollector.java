package org.ashmemd.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.text.Escape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything but the request metrics, computed from the source at scrape time. A source method
 * that fails costs only its own metrics: the rest of the scrape still answers.
 */
final class StateCollector implements MultiCollector {
    private static final Logger log = LoggerFactory.getLogger(StateCollector.class);
    static final String HOST = "host";
    static final int MAX_CONTAINERS = 64;
    static final String OTHER_CONTAINERS = "(other)";
    private static final String[] STATES = {"size", "resident", "unpinned", "purged"};

    private final MetricsSource source;

    StateCollector(MetricsSource source) {
        this.source = source;
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> out = new ArrayList<>();
        DaemonStatus st = call("status", source::status);
        if (st != null) {
            addStatus(st, out);
        }
        List<RegionInfo> regions = call("regions", source::regions);
        if (regions != null) {
            addContainers(regions, out);
        }
        addPurges(out);
        return new MetricSnapshots(out);
    }

    private static <T> T call(String what, java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (RuntimeException e) {
            log.warn("metrics: cannot read the daemon's {}: {}", what, e.toString());
            return null;
        }
    }

    private static void addStatus(DaemonStatus st, List<MetricSnapshot> out) {
        if (st.version() != null) {
            out.add(InfoSnapshot.builder().name("ashmemd_build").help("The daemon's version")
                    .dataPoint(InfoDataPointSnapshot.builder().labels(Labels.of("version", st.version())).build())
                    .build());
        }
        out.add(gauge("ashmemd_start_time_seconds", "When the daemon started, in seconds since the epoch",
                Unit.SECONDS, st.startedAtMillis() / 1000.0));
        out.add(gauge("ashmemd_regions", "Live regions: open file descriptions of the device", null, st.regions()));
        out.add(gauge("ashmemd_mapped_regions", "Regions whose backing memory exists (mapped at least once)", null,
                st.mappedRegions()));
        double[] bytes = {st.sizeBytes(), st.residentBytes(), st.unpinnedBytes(), st.purgedBytes()};
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name("ashmemd_region_bytes").unit(Unit.BYTES)
                .help("Bytes of all regions by state: size (their sizes), resident (memory their backing holds), "
                        + "unpinned (in unpinned ranges, purged or not), purged (in purged ranges)");
        for (int i = 0; i < STATES.length; i++) {
            b.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("state", STATES[i])).value(bytes[i]).build());
        }
        out.add(b.build());

        DaemonStatus.Broker br = st.broker();
        if (br != null) {
            CounterSnapshot.Builder c = CounterSnapshot.builder().name("ashmemd_broker_token_requests")
                    .help("mmap broker requests by result: granted (the memfd was sent), refused (unknown, expired "
                            + "or foreign token), malformed, timed_out (the client sent nothing in time)");
            String[] results = {"granted", "refused", "malformed", "timed_out"};
            long[] values = {br.granted(), br.refused(), br.malformed(), br.timedOut()};
            for (int i = 0; i < results.length; i++) {
                c.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("result", results[i]))
                        .value(values[i]).build());
            }
            out.add(c.build());
            out.add(gauge("ashmemd_broker_connections", "Open connections to the mmap broker", null, br.connections()));
            out.add(gauge("ashmemd_broker_outstanding_tokens", "Tokens handed out and not yet used or expired", null,
                    br.outstandingTokens()));
        }

        if (st.restart() != null) {
            addRestart(st.restart(), out);
        }

        DaemonStatus.Pressure p = st.pressure();
        if (p != null) {
            out.add(gauge("ashmemd_pressure_watching", "1 while a PSI memory pressure trigger is watched, else 0",
                    null, p.enabled() ? 1 : 0));
            out.add(counter("ashmemd_pressure_events", "PSI memory pressure events received", p.events()));
            out.add(gauge("ashmemd_unpinned_soft_limit_bytes",
                    "Unpinned, not purged memory beyond this is purged at once; 0 when there is no limit",
                    Unit.BYTES, p.unpinnedSoftLimitBytes()));
        }
    }

    /** What a restart would keep: the state's size, the memfds parked, and what the store misses. */
    private static void addRestart(DaemonStatus.Restart r, List<MetricSnapshot> out) {
        out.add(gauge("ashmemd_restart_kept", "1 when the device, regions and state are kept in an fd store for the "
                + "next daemon (--fd-store), else 0", null, r.kept() ? 1 : 0));
        if (!r.kept()) {
            return;
        }
        out.add(gauge("ashmemd_restart_state_bytes", "Bytes of the restart state's log in use", Unit.BYTES,
                r.stateBytes()));
        out.add(gauge("ashmemd_restart_parked_memfds", "Region memfds held for the next daemon, released regions' "
                + "included until the live ones move to a new carrier", null, r.parkedMemfds()));
        out.add(gauge("ashmemd_restart_unrecorded_changes", "Region changes no restart state in the store holds: "
                + "a restart now would not see them (0 again once a new state is parked)", null,
                r.unrecordedChanges()));
        out.add(gauge("ashmemd_restart_unparked_regions", "Live regions whose memory could not be parked: a restart "
                + "now would lose them", null, r.unparkedRegions()));
    }

    /**
     * Container names come from cgroup paths that container processes may choose: the label is
     * the escaped name (no control characters in the exposition, whatever the client library
     * escapes), and at most {@value #MAX_CONTAINERS} containers get series of their own, those
     * with the most regions; the rest are summed under {@value #OTHER_CONTAINERS}.
     */
    private static void addContainers(List<RegionInfo> regions, List<MetricSnapshot> out) {
        Map<String, long[]> all = new HashMap<>(); // regions, size, resident, unpinned, purged
        for (RegionInfo r : regions) {
            String c = r.opener() == null || r.opener().container() == null || r.opener().container().isEmpty()
                    ? HOST : Escape.text(r.opener().container());
            long[] t = all.computeIfAbsent(c, k -> new long[5]);
            t[0]++;
            t[1] += r.size();
            t[2] += r.residentBytes();
            t[3] += r.unpinnedBytes();
            t[4] += r.purgedBytes();
        }
        Map<String, long[]> byContainer = new TreeMap<>();
        if (all.size() <= MAX_CONTAINERS) {
            byContainer.putAll(all);
        } else {
            List<Map.Entry<String, long[]>> sorted = new ArrayList<>(all.entrySet());
            sorted.sort(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[0]).reversed()
                    .thenComparing(Map.Entry::getKey));
            long[] other = new long[5];
            for (int i = 0; i < sorted.size(); i++) {
                if (i < MAX_CONTAINERS - 1) {
                    byContainer.put(sorted.get(i).getKey(), sorted.get(i).getValue());
                } else {
                    for (int k = 0; k < other.length; k++) {
                        other[k] += sorted.get(i).getValue()[k];
                    }
                }
            }
            byContainer.merge(OTHER_CONTAINERS, other, (a, b) -> {
                for (int k = 0; k < a.length; k++) {
                    a[k] += b[k];
                }
                return a;
            });
        }
        GaugeSnapshot.Builder count = GaugeSnapshot.builder().name("ashmemd_container_regions")
                .help("Live regions by the container of the process that opened them (\"host\" outside containers)");
        GaugeSnapshot.Builder bytes = GaugeSnapshot.builder().name("ashmemd_container_region_bytes").unit(Unit.BYTES)
                .help("Bytes of regions by opener's container and state (as in ashmemd_region_bytes)");
        byContainer.forEach((c, t) -> {
            count.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("container", c)).value(t[0]).build());
            for (int i = 0; i < STATES.length; i++) {
                bytes.dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("container", c, "state", STATES[i]))
                        .value(t[i + 1]).build());
            }
        });
        out.add(count.build());
        out.add(bytes.build());
    }

    private void addPurges(List<MetricSnapshot> out) {
        CounterSnapshot.Builder pages = CounterSnapshot.builder().name("ashmemd_purged_pages")
                .help("Pages of unpinned memory purged (given back to the host), by cause");
        CounterSnapshot.Builder bursts = CounterSnapshot.builder().name("ashmemd_purge_bursts")
                .help("Purges that freed memory, by cause (a pressure episode purges in several bursts)");
        boolean any = false;
        for (PurgeCause cause : PurgeCause.values()) {
            PurgeCount n = call("purges", () -> source.purges(cause));
            if (n == null) {
                continue;
            }
            any = true;
            Labels l = Labels.of("cause", cause.label());
            pages.dataPoint(CounterDataPointSnapshot.builder().labels(l).value(n.pages()).build());
            bursts.dataPoint(CounterDataPointSnapshot.builder().labels(l).value(n.bursts()).build());
        }
        if (any) {
            out.add(pages.build());
            out.add(bursts.build());
        }
    }

    private static GaugeSnapshot gauge(String name, String help, Unit unit, double value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        if (unit != null) {
            b.unit(unit);
        }
        return b.dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    private static CounterSnapshot counter(String name, String help, double value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build();
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of("ashmemd_build", "ashmemd_start_time_seconds", "ashmemd_regions", "ashmemd_mapped_regions",
                "ashmemd_region_bytes", "ashmemd_broker_token_requests", "ashmemd_broker_connections",
                "ashmemd_broker_outstanding_tokens", "ashmemd_pressure_watching", "ashmemd_pressure_events",
                "ashmemd_unpinned_soft_limit_bytes", "ashmemd_container_regions", "ashmemd_container_region_bytes",
                "ashmemd_purged_pages", "ashmemd_purge_bursts", "ashmemd_restart_kept", "ashmemd_restart_state_bytes",
                "ashmemd_restart_parked_memfds", "ashmemd_restart_unrecorded_changes",
                "ashmemd_restart_unparked_regions");
    }
}
