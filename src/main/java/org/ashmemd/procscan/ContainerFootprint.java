package org.ashmemd.procscan;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** The ashmem memory of all processes of one container ("" for the host). */
@JsonPropertyOrder({"container", "processes", "total", "kinds"})
public record ContainerFootprint(String container, int processes, Map<AshmemKind, Usage> kinds) {
    public ContainerFootprint {
        EnumMap<AshmemKind, Usage> ordered = new EnumMap<>(AshmemKind.class);
        ordered.putAll(kinds);
        kinds = Collections.unmodifiableMap(ordered);
    }

    public Usage usage(AshmemKind kind) {
        return kinds.getOrDefault(kind, Usage.ZERO);
    }

    @JsonProperty("total")
    public Usage total() {
        Usage u = Usage.ZERO;
        for (Usage k : kinds.values()) {
            u = u.plus(k);
        }
        return u;
    }
}
