package org.ashmemd.procscan;

import java.util.Map;

/**
 * One mapping of /proc/PID/smaps: its maps line and its counters.
 *
 * @param fields every "Key: N kB" counter, in bytes (Size, Rss, Pss, Swap, SwapPss, ...), and
 *               plain numbers as written (THPeligible)
 * @param vmFlags the VmFlags line's two-letter flags, space separated
 */
public record SmapsEntry(MapsEntry mapping, Map<String, Long> fields, String vmFlags) {
    public SmapsEntry {
        fields = Map.copyOf(fields);
    }

    /** A counter in bytes, 0 when the kernel did not write it (older kernels lack some). */
    public long field(String name) {
        return fields.getOrDefault(name, 0L);
    }

    public long sizeBytes() {
        return fields.getOrDefault("Size", mapping.sizeBytes());
    }

    public long rssBytes() {
        return field("Rss");
    }

    public long pssBytes() {
        return field("Pss");
    }

    public long swapBytes() {
        return field("Swap");
    }

    public long swapPssBytes() {
        return field("SwapPss");
    }
}
