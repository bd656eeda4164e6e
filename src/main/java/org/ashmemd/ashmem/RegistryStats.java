package org.ashmemd.ashmem;

/**
 * Totals over every live area at one moment.
 *
 * @param areas live areas (open file descriptions)
 * @param mappedAreas areas whose backing memory exists
 * @param totalSize sum of the areas' sizes in bytes
 * @param unpinnedPages pages in unpinned ranges, purged or not
 * @param purgedPages pages in purged ranges
 * @param lruPages pages in unpinned, not purged ranges: what the next purge could free
 */
public record RegistryStats(
        long areas, long mappedAreas, long totalSize, long unpinnedPages, long purgedPages, long lruPages) {
}
