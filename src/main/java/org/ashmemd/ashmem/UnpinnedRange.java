package org.ashmemd.ashmem;

/**
 * One unpinned page range of an area, inclusive at both ends. {@code pgend == pgstart - 1} is the
 * empty range the driver records for UNPIN with {@code len == 0} and {@code offset ==
 * PAGE_ALIGN(size)}; it covers no page.
 */
public record UnpinnedRange(long pgstart, long pgend, boolean purged) {

    /** Pages covered: 0 for the empty range. */
    public long pages() {
        return pgend - pgstart + 1;
    }
}
