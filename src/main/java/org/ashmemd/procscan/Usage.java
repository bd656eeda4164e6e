package org.ashmemd.procscan;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * What some ashmem memory costs, summed over mappings (smaps counters) and fds.
 *
 * @param sizeBytes mapped size (smaps Size)
 * @param rssBytes  resident (Rss)
 * @param pssBytes  proportional share of resident (Pss): sums to the real total across processes
 * @param swapBytes swapped out (Swap)
 * @param mappings  mappings counted
 * @param fds       fds to memfds or to the device
 */
@JsonPropertyOrder({"sizeBytes", "rssBytes", "pssBytes", "swapBytes", "swapPssBytes", "mappings", "fds"})
public record Usage(long sizeBytes, long rssBytes, long pssBytes, long swapBytes, long swapPssBytes, int mappings,
        int fds) {
    public static final Usage ZERO = new Usage(0, 0, 0, 0, 0, 0, 0);

    public Usage plus(Usage o) {
        return new Usage(sizeBytes + o.sizeBytes, rssBytes + o.rssBytes, pssBytes + o.pssBytes, swapBytes + o.swapBytes,
                swapPssBytes + o.swapPssBytes, mappings + o.mappings, fds + o.fds);
    }

    static Usage of(SmapsEntry e) {
        return new Usage(e.sizeBytes(), e.rssBytes(), e.pssBytes(), e.swapBytes(), e.swapPssBytes(), 1, 0);
    }

    static Usage fd() {
        return new Usage(0, 0, 0, 0, 0, 0, 1);
    }
}
