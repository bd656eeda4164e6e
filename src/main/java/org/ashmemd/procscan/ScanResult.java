package org.ashmemd.procscan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The processes using ashmem memory, with how the scan went. */
public record ScanResult(List<ProcessFootprint> processes, ScanStats stats, Set<AshmemKind> kinds) {
    public ScanResult {
        processes = List.copyOf(processes);
        kinds = Set.copyOf(kinds);
    }

    /** Processes largest first by {@code key} over the scanned kinds, then by pid. */
    public List<ProcessFootprint> sorted(SortKey key) {
        List<ProcessFootprint> out = new ArrayList<>(processes);
        out.sort(Comparator.comparingLong((ProcessFootprint p) -> key.of(p.total())).reversed()
                .thenComparing(p -> p.total().sizeBytes(), Comparator.reverseOrder())
                .thenComparingInt(ProcessFootprint::pid));
        return out;
    }

    /** Totals per container, largest first by {@code key}, then by name. */
    public List<ContainerFootprint> containers(SortKey key) {
        Map<String, Map<AshmemKind, Usage>> sums = new HashMap<>();
        Map<String, Integer> counts = new HashMap<>();
        for (ProcessFootprint p : processes) {
            Map<AshmemKind, Usage> m = sums.computeIfAbsent(p.container(), c -> new EnumMap<>(AshmemKind.class));
            p.kinds().forEach((k, u) -> m.merge(k, u, Usage::plus));
            counts.merge(p.container(), 1, Integer::sum);
        }
        List<ContainerFootprint> out = new ArrayList<>();
        sums.forEach((c, m) -> out.add(new ContainerFootprint(c, counts.get(c), m)));
        out.sort(Comparator.comparingLong((ContainerFootprint c) -> key.of(c.total())).reversed()
                .thenComparing(ContainerFootprint::container));
        return out;
    }
}
