package org.ashmemd.procscan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One region (a memfd or driver backing file) as one process uses it: its mappings and fds. In
 * JSON the usage is flat, between inode and fileSizeBytes (and without swapPssBytes).
 *
 * @param name          the region's name, "" when unnamed
 * @param inode         the memory's inode (ashmemd's regions list it), -1 when unknown
 * @param usage         the mappings' counters and the number of fds to it
 * @param fileSizeBytes the memfd's size as an fd to it shows, -1 when no fd was seen
 */
@JsonPropertyOrder({"kind", "name", "inode", "mappings", "fds", "sizeBytes", "rssBytes", "pssBytes", "swapBytes",
    "fileSizeBytes"})
public record RegionUse(AshmemKind kind, String name, long inode, @JsonIgnore Usage usage, long fileSizeBytes) {
    @JsonProperty("mappings")
    private int jsonMappings() {
        return usage.mappings();
    }

    @JsonProperty("fds")
    private int jsonFds() {
        return usage.fds();
    }

    @JsonProperty("sizeBytes")
    private long jsonSizeBytes() {
        return usage.sizeBytes();
    }

    @JsonProperty("rssBytes")
    private long jsonRssBytes() {
        return usage.rssBytes();
    }

    @JsonProperty("pssBytes")
    private long jsonPssBytes() {
        return usage.pssBytes();
    }

    @JsonProperty("swapBytes")
    private long jsonSwapBytes() {
        return usage.swapBytes();
    }

    RegionUse plus(Usage more, long fileSize) {
        return new RegionUse(kind, name, inode, usage.plus(more), Math.max(fileSizeBytes, fileSize));
    }
}
