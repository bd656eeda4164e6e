package org.ashmemd.ashmem;

import java.util.List;

/**
 * The state of one live area at one moment, for the admin plane.
 *
 * @param id the area's id (unique for the registry's lifetime)
 * @param name the name as set, decoded as UTF-8 with U+FFFD for each invalid sequence; empty
 *     when none was set (GET_NAME then reports {@code dev/ashmem})
 * @param nameHex the name's exact bytes in hex when they are not valid UTF-8 (so {@code name}
 *     is not exact), else null
 * @param size the size in bytes
 * @param protMask the protection mask (PROT_* bits)
 * @param hasBacking whether the area was mapped (its backing memory exists)
 * @param inode the backing memory's inode number, or -1 without backing
 * @param unpinned the unpinned ranges, highest page first (the driver's list order)
 * @param unpinnedPages pages in unpinned ranges, purged or not (counted as the registry's
 *     totals count them)
 * @param purgedPages pages in purged ranges
 * @param createdNanos {@link System#nanoTime()} when the area was opened
 */
public record AreaSnapshot(
        long id,
        String name,
        String nameHex,
        long size,
        int protMask,
        boolean hasBacking,
        long inode,
        List<UnpinnedRange> unpinned,
        long unpinnedPages,
        long purgedPages,
        long createdNanos) {

    public AreaSnapshot {
        unpinned = List.copyOf(unpinned);
    }
}
