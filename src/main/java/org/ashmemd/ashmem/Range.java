package org.ashmemd.ashmem;

/**
 * One unpinned page range: a node of its area's list (kept by descending {@code pgstart}) and,
 * while not purged, of the registry's LRU. Page numbers are compared as unsigned, as the driver's
 * {@code size_t} fields are. Guarded by the registry lock.
 */
final class Range {
    final Area area;
    long pgstart;
    long pgend;
    boolean purged;
    /** Set once the range left its area; a purge in flight must then not touch it again. */
    boolean deleted;

    Range prev = this;
    Range next = this;
    Range lruPrev;
    Range lruNext;
    boolean onLru;

    Range(Area area, long pgstart, long pgend, boolean purged) {
        this.area = area;
        this.pgstart = pgstart;
        this.pgend = pgend;
        this.purged = purged;
    }

    /** The head of a circular list: an area's range list or the LRU. */
    static Range sentinel() {
        Range head = new Range(null, 0, 0, false);
        head.lruPrev = head;
        head.lruNext = head;
        return head;
    }

    /** Pages covered; 0 for the empty range {@code [n, n - 1]}. */
    long pages() {
        return pgend - pgstart + 1;
    }

    /** The whole range lies below {@code page}: the sorted walk can stop here. */
    boolean endsBefore(long page) {
        return Long.compareUnsigned(pgend, page) < 0;
    }

    boolean containsPage(long page) {
        return Long.compareUnsigned(pgstart, page) <= 0 && Long.compareUnsigned(page, pgend) <= 0;
    }

    /** {@code [s, e]} covers this whole range. */
    boolean liesWithin(long s, long e) {
        return Long.compareUnsigned(s, pgstart) <= 0 && Long.compareUnsigned(e, pgend) >= 0;
    }

    /** This range covers the whole of {@code [s, e]}. */
    boolean covers(long s, long e) {
        return Long.compareUnsigned(pgstart, s) <= 0 && Long.compareUnsigned(pgend, e) >= 0;
    }

    /**
     * The driver's overlap test. For a non-empty range it means "shares a page with [s, e]"; the
     * empty range {@code [n, n - 1]} overlaps exactly the ranges that reach page {@code n - 1}.
     */
    boolean overlaps(long s, long e) {
        return containsPage(s) || containsPage(e) || liesWithin(s, e);
    }

    UnpinnedRange toRecord() {
        return new UnpinnedRange(pgstart, pgend, purged);
    }

    @Override
    public String toString() {
        return "[" + pgstart + ", " + pgend + (purged ? "] purged" : "]");
    }
}
