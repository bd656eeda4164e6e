package org.ashmemd.control;

import java.util.List;

/** A region plus who maps it and who holds fds to its memory (from /proc). */
public record RegionDetail(RegionInfo region, List<Mapper> mappers, List<Holder> holders) {
    /** A process mapping the region, with its cost from smaps. */
    public record Mapper(int pid, String processName, String container, int mappings, long sizeBytes,
            long rssBytes, long pssBytes, long swapBytes) {
    }

    /** A process holding fds to the region's memfd. */
    public record Holder(int pid, String processName, String container, int fds) {
    }
}
