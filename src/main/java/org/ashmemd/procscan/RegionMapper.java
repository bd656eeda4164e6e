package org.ashmemd.procscan;

/** A process mapping one region, with what its mappings of it cost (from smaps). */
public record RegionMapper(int pid, String comm, String container, int mappings, long sizeBytes, long rssBytes,
        long pssBytes, long swapBytes) {
}
