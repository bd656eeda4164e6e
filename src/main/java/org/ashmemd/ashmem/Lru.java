package org.ashmemd.ashmem;

import java.util.ArrayList;
import java.util.List;

/**
 * The global list of unpinned, not purged ranges of every area, least recently unpinned first,
 * with the number of pages on it. Guarded by the registry lock.
 */
final class Lru {
    private final Range head = Range.sentinel();
    private long pages;

    void addTail(Range r) {
        r.lruPrev = head.lruPrev;
        r.lruNext = head;
        head.lruPrev.lruNext = r;
        head.lruPrev = r;
        r.onLru = true;
        pages += r.pages();
    }

    void remove(Range r) {
        r.lruPrev.lruNext = r.lruNext;
        r.lruNext.lruPrev = r.lruPrev;
        r.lruPrev = null;
        r.lruNext = null;
        r.onLru = false;
        pages -= r.pages();
    }

    /** Accounts for a range on the list that changed from {@code oldPages} to its current size. */
    void resized(Range r, long oldPages) {
        if (r.onLru) {
            pages += r.pages() - oldPages;
        }
    }

    /** The least recently unpinned range, or null. */
    Range first() {
        return head.lruNext == head ? null : head.lruNext;
    }

    long pages() {
        return pages;
    }

    /** The ranges in order, head first. */
    List<Range> ranges() {
        List<Range> out = new ArrayList<>();
        for (Range r = head.lruNext; r != head; r = r.lruNext) {
            out.add(r);
        }
        return out;
    }
}
