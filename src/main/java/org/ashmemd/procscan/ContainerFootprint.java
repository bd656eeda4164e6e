package org.ashmemd.procscan;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** The ashmem memory of all processes of one container ("" for the host). */
public record ContainerFootprint(String container, int processes, Map<AshmemKind, Usage> kinds) {
    public ContainerFootprint {
        EnumMap<AshmemKind, Usage> ordered = new EnumMap<>(AshmemKind.class);
        ordered.putAll(kinds);
        kinds = Collections.unmodifiableMap(ordered);
    }

    public Usage usage(AshmemKind kind) {
        return kinds.getOrDefault(kind, Usage.ZERO);
    }

    public Usage total() {
        Usage u = Usage.ZERO;
        for (Usage k : kinds.values()) {
            u = u.plus(k);
        }
        return u;
    }
}
