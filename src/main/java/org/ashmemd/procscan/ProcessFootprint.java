package org.ashmemd.procscan;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A process's ashmem memory, by kind and by region.
 *
 * @param container  see {@link ContainerNames}; "" for the host
 * @param cgroup     the process's most telling cgroup path ({@link Cgroups#primaryPath()})
 * @param servesCuse whether it holds /dev/cuse open: the daemon (or a service manager keeping the
 *                   daemon's fds), whose fds to regions are no leak
 */
@JsonPropertyOrder({"pid", "comm", "uid", "container", "cgroup", "servesCuse", "total", "kinds", "regions"})
public record ProcessFootprint(int pid, String comm, int uid, String container, String cgroup, boolean servesCuse,
        Map<AshmemKind, Usage> kinds, List<RegionUse> regions) {
    public ProcessFootprint {
        EnumMap<AshmemKind, Usage> ordered = new EnumMap<>(AshmemKind.class);
        ordered.putAll(kinds);
        kinds = Collections.unmodifiableMap(ordered);
        regions = List.copyOf(regions);
    }

    public Usage usage(AshmemKind kind) {
        return kinds.getOrDefault(kind, Usage.ZERO);
    }

    @JsonProperty("total")
    public Usage total() {
        return total(kinds.keySet());
    }

    public Usage total(Set<AshmemKind> which) {
        Usage u = Usage.ZERO;
        for (AshmemKind k : which) {
            u = u.plus(usage(k));
        }
        return u;
    }
}
