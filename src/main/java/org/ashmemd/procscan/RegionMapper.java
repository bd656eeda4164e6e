package org.ashmemd.procscan;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** A process mapping one region, with what its mappings of it cost (from smaps). */
@JsonPropertyOrder({"pid", "comm", "container", "mappings", "sizeBytes", "rssBytes", "pssBytes", "swapBytes"})
public record RegionMapper(int pid, String comm, String container, int mappings, long sizeBytes, long rssBytes,
        long pssBytes, long swapBytes) {
}
