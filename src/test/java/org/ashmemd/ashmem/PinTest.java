package org.ashmemd.ashmem;

import static org.ashmemd.ashmem.AreaRegistry.IS_PINNED;
import static org.ashmemd.ashmem.AreaRegistry.IS_UNPINNED;
import static org.ashmemd.ashmem.AreaRegistry.NOT_PURGED;
import static org.ashmemd.ashmem.AreaRegistry.WAS_PURGED;
import static org.ashmemd.ashmem.AreaTest.assertErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** PIN, UNPIN and GET_PIN_STATUS: argument arithmetic and the range algebra, case by case. */
class PinTest {
    static final int PAGE = 4096;
    static final long U32 = 0xffff_ffffL;

    FakeFactory factory;
    AreaRegistry registry;
    Area area;

    @BeforeEach
    void setUp() throws ErrnoException {
        factory = new FakeFactory();
        registry = new AreaRegistry(factory, PAGE);
        area = mapped(10 * PAGE);
    }

    Area mapped(long size) throws ErrnoException {
        Area a = registry.open();
        a.setSize(size);
        a.map(PAGE, Prot.READ);
        return a;
    }

    static UnpinnedRange r(long s, long e) {
        return new UnpinnedRange(s, e, false);
    }

    static UnpinnedRange purged(long s, long e) {
        return new UnpinnedRange(s, e, true);
    }

    static int unpin(Area a, long s, long e) throws ErrnoException {
        return a.unpin(s * PAGE, (e - s + 1) * PAGE);
    }

    static int pin(Area a, long s, long e) throws ErrnoException {
        return a.pin(s * PAGE, (e - s + 1) * PAGE);
    }

    static int status(Area a, long s, long e) throws ErrnoException {
        return a.pinStatus(s * PAGE, (e - s + 1) * PAGE);
    }

    List<UnpinnedRange> ranges() {
        return area.snapshot().unpinned();
    }

    /** The LRU of this test's single area, head first. */
    List<UnpinnedRange> lru() {
        return registry.lruEntries().stream().map(AreaRegistry.LruEntry::range).toList();
    }

    long lruPages() {
        return registry.stats().lruPages();
    }

    @Nested
    class Arguments {
        @Test
        void einvalBeforeTheFirstMmap() throws ErrnoException {
            Area a = registry.open();
            a.setSize(PAGE);
            ErrnoException e = assertErrno(Errno.EINVAL, () -> a.pin(0, PAGE));
            assertEquals("PIN before the region was mapped", e.getMessage());
            assertErrno(Errno.EINVAL, () -> a.unpin(0, PAGE));
            assertErrno(Errno.EINVAL, () -> a.pinStatus(0, PAGE));
            // No backing beats every other check, even arguments that are wrong anyway.
            assertErrno(Errno.EINVAL, () -> a.unpin(1, 1));
        }

        @Test
        void unalignedOffsetOrLengthIsEinval() {
            assertErrno(Errno.EINVAL, () -> area.pin(1, PAGE));
            assertErrno(Errno.EINVAL, () -> area.unpin(PAGE, PAGE + 1));
            assertErrno(Errno.EINVAL, () -> area.pinStatus(PAGE / 2, 0));
            assertTrue(ranges().isEmpty());
        }

        @Test
        void pastTheEndIsEinval() throws ErrnoException {
            assertErrno(Errno.EINVAL, () -> area.unpin(0, 11L * PAGE));
            assertErrno(Errno.EINVAL, () -> area.unpin(10L * PAGE, PAGE));
            assertErrno(Errno.EINVAL, () -> area.unpin(9L * PAGE, 2 * PAGE));
            assertEquals(0, area.unpin(9L * PAGE, PAGE));
            assertEquals(0, area.unpin(0, 10L * PAGE));
        }

        @Test
        void theEndIsThePageAlignedSize() throws ErrnoException {
            Area a = mapped(2 * PAGE + 1);
            assertEquals(0, a.unpin(2L * PAGE, PAGE));
            assertErrno(Errno.EINVAL, () -> a.unpin(3L * PAGE, PAGE));
            assertEquals(List.of(r(2, 2)), a.snapshot().unpinned());
        }

        @Test
        void zeroLengthMeansToTheEnd() throws ErrnoException {
            assertEquals(0, area.unpin(3L * PAGE, 0));
            assertEquals(List.of(r(3, 9)), ranges());
            assertEquals(IS_UNPINNED, area.pinStatus(9L * PAGE, 0));
            assertEquals(IS_PINNED, area.pinStatus(0, 3 * PAGE));
            assertEquals(NOT_PURGED, area.pin(0, 0));
            assertTrue(ranges().isEmpty());
        }

        @Test
        void zeroLengthOfAnUnalignedSizeReachesItsLastPage() throws ErrnoException {
            Area a = mapped(3 * PAGE + 1);
            a.unpin(0, 0);
            assertEquals(List.of(r(0, 3)), a.snapshot().unpinned());
        }

        @Test
        void offsetPlusLengthOverflowingU32IsEinval() {
            ErrnoException e = assertErrno(Errno.EINVAL, () -> area.pin(0xffff_f000L, PAGE));
            assertTrue(e.getMessage().contains("overflows"), e.getMessage());
            assertErrno(Errno.EINVAL, () -> area.pin(PAGE, 0xffff_f000L)); // sums to exactly 2^32
            assertErrno(Errno.EINVAL, () -> area.unpin(0x8000_0000L, 0x8000_0000L));
        }

        @Test
        void zeroLengthPastTheEndWrapsAroundU32AndOverflows() {
            // len = (u32)(PAGE_ALIGN(size) - offset) = 2^32 - PAGE: then offset + len overflows.
            ErrnoException e = assertErrno(Errno.EINVAL, () -> area.unpin(11L * PAGE, 0));
            assertTrue(e.getMessage().contains("len 0xfffff000"), e.getMessage());
            assertTrue(e.getMessage().contains("overflows"), e.getMessage());
            assertErrno(Errno.EINVAL, () -> area.pin(0xffff_f000L, 0));
            assertErrno(Errno.EINVAL, () -> area.pinStatus(0x1000_0000L, 0));
        }

        @Test
        void onlyTheLow32BitsOfEachFieldCount() throws ErrnoException {
            assertEquals(0, area.unpin((1L << 32) | PAGE, (7L << 32) | PAGE));
            assertEquals(List.of(r(1, 1)), ranges());
            assertEquals(0, area.unpin(-1L << 32, 0)); // offset 0, len 0
            assertEquals(List.of(r(0, 9)), ranges());
        }

        @Test
        void largestSizeUsesTheWholeU32Range() throws ErrnoException {
            Area a = mapped(Integer.MAX_VALUE); // PAGE_ALIGN: 0x80000000
            assertEquals(0, a.unpin(0x7fff_f000L, 0));
            assertEquals(List.of(r(0x7ffff, 0x7ffff)), a.snapshot().unpinned());
            assertErrno(Errno.EINVAL, () -> a.unpin(0x8000_0000L, PAGE));
            assertEquals(0, a.unpin(0, 0x8000_0000L));
            assertEquals(List.of(r(0, 0x7ffff)), a.snapshot().unpinned());
            assertEquals(0x80000, registry.stats().lruPages());
            assertEquals(NOT_PURGED, a.pin(0, 0));
            assertEquals(0, registry.stats().lruPages());
        }

        @Test
        void otherPageSizes() throws ErrnoException {
            AreaRegistry big = new AreaRegistry(factory, 65536);
            Area a = big.open();
            a.setSize(65536 * 3);
            a.map(65536, Prot.READ);
            assertErrno(Errno.EINVAL, () -> a.unpin(4096, 0));
            a.unpin(65536, 65536);
            assertEquals(List.of(r(1, 1)), a.snapshot().unpinned());
            FakeBacking b = factory.created.get(factory.created.size() - 1);
            big.purgeAllCaches();
            assertEquals(65536, b.punched.get(0)[0]);
            assertEquals(65536, b.punched.get(0)[1]);
        }
    }

    @Nested
    class Pin {
        @Test
        void case1RangeInsideThePinIsDeleted() throws ErrnoException {
            unpin(area, 2, 4);
            assertEquals(NOT_PURGED, pin(area, 1, 5));
            assertTrue(ranges().isEmpty());
            assertTrue(lru().isEmpty());
            assertEquals(0, lruPages());
        }

        @Test
        void case1ExactMatch() throws ErrnoException {
            unpin(area, 2, 4);
            pin(area, 2, 4);
            assertTrue(ranges().isEmpty());
        }

        @Test
        void case2PinOverlapsTheStart() throws ErrnoException {
            unpin(area, 2, 6);
            pin(area, 1, 3);
            assertEquals(List.of(r(4, 6)), ranges());
            assertEquals(3, lruPages());
            pin(area, 4, 4);
            assertEquals(List.of(r(5, 6)), ranges());
            assertEquals(2, lruPages());
        }

        @Test
        void case3PinOverlapsTheEnd() throws ErrnoException {
            unpin(area, 2, 6);
            pin(area, 5, 8);
            assertEquals(List.of(r(2, 4)), ranges());
            pin(area, 4, 4);
            assertEquals(List.of(r(2, 3)), ranges());
            assertEquals(2, lruPages());
        }

        @Test
        void case4HoleInTheMiddleSplits() throws ErrnoException {
            unpin(area, 2, 6);
            assertEquals(NOT_PURGED, pin(area, 4, 4));
            assertEquals(List.of(r(5, 6), r(2, 3)), ranges());
            assertEquals(4, lruPages());
            assertEquals(List.of(r(2, 3), r(5, 6)), lru(), "the upper half is the most recent");
        }

        @Test
        void case4UpperHalfGoesBehindNewerRanges() throws ErrnoException {
            unpin(area, 2, 6);
            unpin(area, 8, 9);
            pin(area, 3, 4);
            assertEquals(List.of(r(8, 9), r(5, 6), r(2, 2)), ranges());
            assertEquals(List.of(r(2, 2), r(8, 9), r(5, 6)), lru());
            assertEquals(5, lruPages());
        }

        @Test
        void case4OfAPurgedRangeKeepsBothHalvesPurgedAndOffTheLru() throws ErrnoException {
            unpin(area, 2, 6);
            registry.purgeAllCaches();
            assertEquals(WAS_PURGED, pin(area, 4, 4));
            assertEquals(List.of(purged(5, 6), purged(2, 3)), ranges());
            assertTrue(lru().isEmpty());
            assertEquals(0, lruPages());
            assertEquals(WAS_PURGED, pin(area, 6, 6));
            assertEquals(NOT_PURGED, pin(area, 4, 4), "already pinned");
        }

        @Test
        void onePinAcrossSeveralRanges() throws ErrnoException {
            unpin(area, 1, 2);
            unpin(area, 4, 5);
            unpin(area, 7, 8);
            assertEquals(NOT_PURGED, pin(area, 2, 7));
            assertEquals(List.of(r(8, 8), r(1, 1)), ranges());
            assertEquals(List.of(r(1, 1), r(8, 8)), lru(), "shrunk ranges keep their places");
            assertEquals(2, lruPages());
        }

        @Test
        void wasPurgedOnlyWhenAnOverlappingRangeWasPurged() throws ErrnoException {
            unpin(area, 0, 1);
            registry.purgeAllCaches();
            unpin(area, 5, 6);
            assertEquals(NOT_PURGED, pin(area, 5, 6));
            assertEquals(NOT_PURGED, pin(area, 2, 4), "no range there");
            assertEquals(WAS_PURGED, pin(area, 1, 3), "partly over the purged range");
            assertEquals(WAS_PURGED, pin(area, 0, 0));
            assertEquals(NOT_PURGED, pin(area, 0, 1), "gone after the first pin");
        }

        @Test
        void purgedAndNotPurgedTogetherReportPurged() throws ErrnoException {
            unpin(area, 0, 1);
            registry.purgeAllCaches();
            unpin(area, 3, 4);
            assertEquals(WAS_PURGED, pin(area, 0, 9));
            assertTrue(ranges().isEmpty());
        }

        @Test
        void pinOfPinnedPagesIsANoOp() throws ErrnoException {
            assertEquals(NOT_PURGED, area.pin(0, 0));
            unpin(area, 5, 6);
            assertEquals(NOT_PURGED, pin(area, 0, 4));
            assertEquals(NOT_PURGED, pin(area, 7, 9));
            assertEquals(List.of(r(5, 6)), ranges());
        }
    }

    @Nested
    class Unpin {
        @Test
        void adjacentRangesStaySeparate() throws ErrnoException {
            assertEquals(0, unpin(area, 2, 3));
            assertEquals(0, unpin(area, 4, 5));
            assertEquals(0, unpin(area, 0, 1));
            assertEquals(List.of(r(4, 5), r(2, 3), r(0, 1)), ranges());
            assertEquals(6, lruPages());
        }

        @Test
        void overlappingRangesMerge() throws ErrnoException {
            unpin(area, 2, 4);
            unpin(area, 4, 6);
            assertEquals(List.of(r(2, 6)), ranges());
            assertEquals(5, lruPages());
        }

        @Test
        void aBridgeMergesBothNeighbours() throws ErrnoException {
            unpin(area, 1, 2);
            unpin(area, 5, 6);
            unpin(area, 8, 9);
            unpin(area, 2, 5);
            assertEquals(List.of(r(8, 9), r(1, 6)), ranges());
            assertEquals(List.of(r(8, 9), r(1, 6)), lru(), "the merged range is the most recent");
            assertEquals(8, lruPages());
        }

        @Test
        void aRangeSwallowingSeveralMerges() throws ErrnoException {
            unpin(area, 1, 1);
            unpin(area, 3, 3);
            unpin(area, 5, 5);
            unpin(area, 0, 9);
            assertEquals(List.of(r(0, 9)), ranges());
            assertEquals(List.of(r(0, 9)), lru());
            assertEquals(10, lruPages());
        }

        @Test
        void alreadyUnpinnedIsANoOpThatKeepsTheLruPlace() throws ErrnoException {
            unpin(area, 2, 6);
            unpin(area, 8, 8);
            assertEquals(0, unpin(area, 3, 4));
            assertEquals(0, unpin(area, 2, 6));
            assertEquals(List.of(r(8, 8), r(2, 6)), ranges());
            assertEquals(List.of(r(2, 6), r(8, 8)), lru());
            assertEquals(6, lruPages());
        }

        @Test
        void coveredByTwoAdjacentRangesStillMerges() throws ErrnoException {
            // No single range covers [3, 4], so the two overlapping ones merge into a new range.
            unpin(area, 2, 3);
            unpin(area, 4, 5);
            unpin(area, 7, 7);
            unpin(area, 3, 4);
            assertEquals(List.of(r(7, 7), r(2, 5)), ranges());
            assertEquals(List.of(r(7, 7), r(2, 5)), lru());
        }

        @Test
        void purgedFlagsOrOnMerge() throws ErrnoException {
            unpin(area, 0, 1);
            registry.purgeAllCaches();
            unpin(area, 4, 5);
            unpin(area, 1, 4);
            assertEquals(List.of(purged(0, 5)), ranges());
            assertTrue(lru().isEmpty(), "a purged range is not on the LRU");
            assertEquals(0, lruPages());
            assertEquals(WAS_PURGED, pin(area, 5, 5));
        }

        @Test
        void mergingNotPurgedRangesStaysNotPurged() throws ErrnoException {
            unpin(area, 0, 1);
            unpin(area, 1, 2);
            assertEquals(List.of(r(0, 2)), ranges());
            assertEquals(NOT_PURGED, pin(area, 0, 2));
        }

        @Test
        void unpinNextToAPurgedRangeDoesNotInheritItsFlag() throws ErrnoException {
            unpin(area, 0, 1);
            registry.purgeAllCaches();
            unpin(area, 2, 3);
            assertEquals(List.of(r(2, 3), purged(0, 1)), ranges());
            assertEquals(NOT_PURGED, pin(area, 2, 3));
        }

        @Test
        void unpinInsideAPurgedRangeIsANoOp() throws ErrnoException {
            unpin(area, 0, 5);
            registry.purgeAllCaches();
            unpin(area, 2, 3);
            assertEquals(List.of(purged(0, 5)), ranges());
            assertEquals(0, lruPages());
        }
    }

    @Nested
    class Status {
        @Test
        void pinnedUntilAnyPageIsUnpinned() throws ErrnoException {
            assertEquals(IS_PINNED, area.pinStatus(0, 0));
            unpin(area, 3, 3);
            assertEquals(IS_UNPINNED, area.pinStatus(0, 0));
            assertEquals(IS_UNPINNED, status(area, 3, 3));
            assertEquals(IS_UNPINNED, status(area, 2, 3));
            assertEquals(IS_UNPINNED, status(area, 3, 9));
            assertEquals(IS_PINNED, status(area, 0, 2));
            assertEquals(IS_PINNED, status(area, 4, 9));
        }

        @Test
        void purgedRangesAreUnpinnedToo() throws ErrnoException {
            unpin(area, 3, 4);
            registry.purgeAllCaches();
            assertEquals(IS_UNPINNED, status(area, 4, 4));
        }

        @Test
        void statusChangesNothing() throws ErrnoException {
            unpin(area, 2, 6);
            unpin(area, 8, 8);
            status(area, 0, 9);
            assertEquals(List.of(r(8, 8), r(2, 6)), ranges());
            assertEquals(List.of(r(2, 6), r(8, 8)), lru());
        }
    }

    /**
     * {@code len == 0} with {@code offset == PAGE_ALIGN(size)}: the driver computes len = 0 again,
     * passes every check and works on pgstart = n, pgend = n - 1. PIN and GET_PIN_STATUS then stop
     * at the first range; UNPIN records an empty range [n, n - 1] at the head of the list and on
     * the LRU (0 pages). That range overlaps every span reaching the last page n - 1.
     */
    @Nested
    class EmptySpan {
        @Test
        void pinAndStatusOfTheEmptySpanDoNothing() throws ErrnoException {
            unpin(area, 9, 9);
            assertEquals(NOT_PURGED, area.pin(10L * PAGE, 0));
            assertEquals(IS_PINNED, area.pinStatus(10L * PAGE, 0));
            assertEquals(List.of(r(9, 9)), ranges());
        }

        @Test
        void unpinRecordsAnEmptyRange() throws ErrnoException {
            unpin(area, 2, 3);
            assertEquals(0, area.unpin(10L * PAGE, 0));
            assertEquals(List.of(r(10, 9), r(2, 3)), ranges());
            assertEquals(List.of(r(2, 3), r(10, 9)), lru());
            assertEquals(2, lruPages());
            assertEquals(0, area.snapshot().unpinned().get(0).pages());
        }

        @Test
        void theEmptyRangeMakesTheLastPageLookUnpinned() throws ErrnoException {
            area.unpin(10L * PAGE, 0);
            assertEquals(IS_UNPINNED, area.pinStatus(0, 0));
            assertEquals(IS_UNPINNED, status(area, 9, 9));
            assertEquals(IS_PINNED, status(area, 0, 8));
            assertEquals(IS_PINNED, area.pinStatus(10L * PAGE, 0));
        }

        @Test
        void aPinReachingTheLastPageDeletesIt() throws ErrnoException {
            area.unpin(10L * PAGE, 0);
            assertEquals(NOT_PURGED, pin(area, 0, 8));
            assertEquals(List.of(r(10, 9)), ranges());
            assertEquals(NOT_PURGED, pin(area, 9, 9));
            assertTrue(ranges().isEmpty());
            assertTrue(lru().isEmpty());
        }

        @Test
        void purgingItFreesNothingButAPinThenReportsPurged() throws ErrnoException {
            area.unpin(10L * PAGE, 0);
            assertEquals(0, registry.purgeAllCaches());
            assertTrue(factory.created.get(0).punched.isEmpty(), "no zero-length hole punch");
            assertEquals(List.of(purged(10, 9)), ranges());
            assertEquals(WAS_PURGED, area.pin(0, 0));
        }

        @Test
        void anUnpinReachingTheLastPageAbsorbsItAndItsFlag() throws ErrnoException {
            area.unpin(10L * PAGE, 0);
            registry.purgeAllCaches();
            unpin(area, 8, 9);
            assertEquals(List.of(purged(8, 9)), ranges());
        }

        @Test
        void aMergeThatGrowsToTheLastPageAbsorbsIt() throws ErrnoException {
            unpin(area, 7, 9);
            area.unpin(10L * PAGE, 0);
            assertEquals(List.of(r(10, 9), r(7, 9)), ranges());
            unpin(area, 5, 7); // merges [7, 9], which reaches page 9: the restart meets [10, 9]
            assertEquals(List.of(r(5, 9)), ranges());
            assertEquals(List.of(r(5, 9)), lru());
        }

        @Test
        void aMergeThatGrowsToTheLastPageTakesThePurgedFlag() throws ErrnoException {
            // A sealed backing keeps [7, 9] from being purged, while the empty range is purged.
            factory.created.get(0).sealed = true;
            unpin(area, 7, 9);
            area.unpin(10L * PAGE, 0);
            registry.purgeAllCaches();
            assertEquals(List.of(purged(10, 9), r(7, 9)), ranges());
            unpin(area, 5, 7);
            assertEquals(List.of(purged(5, 9)), ranges());
            assertTrue(lru().isEmpty());
        }

        @Test
        void aCoveringRangeMakesTheUnpinANoOpButTheEmptyRangeIsGone() throws ErrnoException {
            unpin(area, 0, 9);
            area.unpin(10L * PAGE, 0);
            assertEquals(List.of(r(10, 9), r(0, 9)), ranges());
            unpin(area, 9, 9);
            assertEquals(List.of(r(0, 9)), ranges());
            assertEquals(List.of(r(0, 9)), lru());
        }

        @Test
        void anUnpinNotReachingTheLastPageLeavesIt() throws ErrnoException {
            area.unpin(10L * PAGE, 0);
            unpin(area, 3, 5);
            assertEquals(List.of(r(10, 9), r(3, 5)), ranges());
        }

        @Test
        void atMostOneNotPurgedEmptyRangeIsKept() throws ErrnoException {
            for (int i = 0; i < 5; i++) {
                area.unpin(10L * PAGE, 0);
            }
            assertEquals(List.of(r(10, 9)), ranges());
            registry.purgeAllCaches();
            area.unpin(10L * PAGE, 0);
            area.unpin(10L * PAGE, 0);
            assertEquals(List.of(r(10, 9), purged(10, 9)), ranges());
            assertEquals(WAS_PURGED, area.pin(0, 0));
            assertTrue(ranges().isEmpty());
        }

        @Test
        void onAnAreaOfAnUnalignedSize() throws ErrnoException {
            Area a = mapped(PAGE + 10); // two pages
            a.unpin(2L * PAGE, 0);
            assertEquals(List.of(r(2, 1)), a.snapshot().unpinned());
            assertEquals(IS_UNPINNED, a.pinStatus(PAGE, 0));
        }
    }
}
