package org.ashmemd.procscan;

/**
 * One region (a memfd or driver backing file) as one process uses it: its mappings and fds.
 *
 * @param name          the region's name, "" when unnamed
 * @param inode         the memory's inode (ashmemd's regions list it), -1 when unknown
 * @param usage         the mappings' counters and the number of fds to it
 * @param fileSizeBytes the memfd's size as an fd to it shows, -1 when no fd was seen
 */
public record RegionUse(AshmemKind kind, String name, long inode, Usage usage, long fileSizeBytes) {
    RegionUse plus(Usage more, long fileSize) {
        return new RegionUse(kind, name, inode, usage.plus(more), Math.max(fileSizeBytes, fileSize));
    }
}
