package org.ashmemd.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.BackingLease;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.device.OpenFile;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.Prot;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.Memfd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where the regions' memory is parked, with real memfds and a store that keeps duplicates of
 * what it is given, as systemd does.
 */
class RestartStateTest {
    private static final int PAGE = 4096;
    private static final StateJournal.Device DEVICE = new StateJournal.Device(121, 0, 38, 0, 38, 0, 131072, 131072, PAGE);

    private final KeepingStore store = new KeepingStore();
    private final AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);

    @AfterEach
    void closeStore() {
        store.closeAll();
    }

    private OpenFile mapped(long size) throws Exception {
        Area area = registry.open();
        area.setSize(size);
        area.map(PAGE, Prot.READ | Prot.WRITE);
        return new OpenFile(area, 2, new Caller(0, 0, 1), 0);
    }

    private static long inode(Area area) throws Exception {
        try (BackingLease l = area.lease()) {
            return Memfd.inode(l.memory().fd());
        }
    }

    /** The region ids and memfd inodes in the carrier parked as {@code name}: it is emptied. */
    private Map<Long, Long> drainStored(String name) throws Exception {
        List<Integer> fds = store.fds.get(name);
        assertEquals(1, fds.size(), name);
        Map<Long, Long> found = new HashMap<>();
        MemoryCarrier.drain(fds.get(0), (ids, received) -> {
            for (int i = 0; i < ids.length; i++) {
                Long before = found.put(ids[i], Memfd.inode(received[i]));
                assertEquals(null, before, "region " + ids[i] + " parked twice");
                Descriptors.close(received[i]);
            }
        });
        return found;
    }

    @Test
    void everyMappedRegionIsParkedInTheOneCarrierNotUnderANameOfItsOwn() throws Exception {
        RestartState state = RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null);
        int before = store.messages;
        List<OpenFile> files = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            OpenFile f = mapped(PAGE);
            files.add(f);
            state.changed(f);
            state.changed(f); // a second change parks nothing more
        }
        assertEquals(before, store.messages, "no message to the store per region");
        assertEquals(Set.of("memory-1"), store.names("memory-"));
        assertEquals(Set.of(), store.names("area-"));
        Map<Long, Long> parked = drainStored("memory-1");
        assertEquals(5, parked.size());
        for (OpenFile f : files) {
            assertEquals(inode(f.area()), parked.get(f.area().id()));
        }
    }

    @Test
    void aFullQueueMovesTheLiveRegionsToANewCarrierParkedBeforeTheOldIsDropped() throws Exception {
        RestartState state = RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null);
        Map<Long, Long> live = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            OpenFile f = mapped(PAGE);
            state.changed(f);
            if (i % 3 == 0) {
                registry.release(f.area());
                state.released(f);
            } else {
                live.put(f.area().id(), inode(f.area()));
            }
        }
        // fill the rest of the queue, as released regions' memory would
        OpenFile filler = mapped(PAGE);
        try (BackingLease l = filler.area().lease()) {
            long junk = 1L << 40;
            while (state.carrier().park(junk++, l.memory().fd())) {
                assertTrue(junk < (1L << 40) + 1_000_000, "the queue never filled");
            }
        }
        int before = store.messages;
        OpenFile last = mapped(PAGE);
        state.changed(last);
        live.put(last.area().id(), inode(last.area()));
        assertEquals(Set.of("memory-2"), store.names("memory-"), "the full queue was replaced");
        assertEquals(before + 2, store.messages, "one message parks the new carrier, one drops the old");
        assertEquals(live, drainStored("memory-2"), "the live regions, and nothing else");
    }

    @Test
    void releasedMemoryIsLeftBehindOnceItPassesTheLimit() throws Exception {
        RestartState state = RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null);
        OpenFile small = mapped(PAGE);
        state.changed(small);
        OpenFile big = mapped(RestartState.MAX_RELEASED_BYTES + PAGE);
        state.changed(big);
        registry.release(big.area());
        state.released(big);
        assertEquals(Set.of("memory-2"), store.names("memory-"));
        assertEquals(Map.of(small.area().id(), inode(small.area())), drainStored("memory-2"));
    }

    @Test
    void aTakeOverMovesEveryMemfdToANewCarrierAndDropsTheOldNames() throws Exception {
        int a = Memfd.create("a".getBytes(StandardCharsets.US_ASCII), PAGE);
        int b = Memfd.create("b".getBytes(StandardCharsets.US_ASCII), PAGE);
        int legacy = Memfd.create("legacy".getBytes(StandardCharsets.US_ASCII), PAGE);
        long inoA = Memfd.inode(a);
        long inoB = Memfd.inode(b);
        long inoLegacy = Memfd.inode(legacy);
        int oldQueue;
        try (MemoryCarrier old = MemoryCarrier.create()) {
            assertTrue(old.park(1, a));
            assertTrue(old.park(2, b));
            assertTrue(old.park(1, a)); // a move cut short by a crash may leave a region twice
            store.store("memory-4", old.queueEnd());
            oldQueue = Descriptors.duplicate(old.queueEnd()); // as the store hands it over
        }
        Descriptors.close(a);
        Descriptors.close(b);
        store.store("area-7", legacy);
        int legacyHandedOver = Descriptors.duplicate(legacy);
        Descriptors.close(legacy);

        RestartState.TakenOverMemory taken = RestartState.takeOverMemory(store, Map.of(4, List.of(oldQueue)),
                Map.of(7L, legacyHandedOver));
        assertEquals(5, taken.generation());
        assertTrue(taken.complete());
        assertEquals(Set.of(1L, 2L, 7L), taken.fds().keySet());
        assertEquals(inoA, Memfd.inode(taken.fds().get(1L)));
        assertEquals(inoB, Memfd.inode(taken.fds().get(2L)));
        assertEquals(inoLegacy, Memfd.inode(taken.fds().get(7L)));
        assertFalse(Descriptors.isOpen(oldQueue), "the old carrier's descriptor is closed");
        assertEquals(Set.of("memory-5"), store.names("memory-"));
        assertEquals(Set.of(), store.names("area-"));
        taken.fds().values().forEach(Descriptors::close);
        taken.carrier().close();
        Map<Long, Long> parked = drainStored("memory-5");
        assertEquals(Map.of(1L, inoA, 2L, inoB, 7L, inoLegacy), parked);
    }

    /**
     * A store that refuses the next generation: one try, then changes go unrecorded (no memfd
     * made and filled per request) until the retry delay has passed.
     */
    @Test
    void aFailedGenerationIsNotTriedAgainAtEveryChange() throws Exception {
        long[] now = {0};
        RestartState state = RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null, () -> now[0]);
        OpenFile f = mapped(PAGE);
        state.changed(f);
        store.refusing = name -> name.startsWith(RestartState.STATE_PREFIX);
        int appended = 0;
        while (store.refused == 0) {
            assertTrue(++appended < 2_000_000, "the log never filled");
            state.changed(f);
        }
        for (int i = 0; i < 1000; i++) {
            state.changed(f);
        }
        assertEquals(1, store.refused, "tried once");
        assertEquals(1001, state.report().unrecordedChanges(), "each change since counts as unrecorded");
        now[0] += RestartState.GENERATION_RETRY_NANOS;
        state.changed(f);
        assertEquals(2, store.refused, "tried again after the delay");
        store.refusing = name -> false;
        now[0] += RestartState.GENERATION_RETRY_NANOS;
        state.changed(f);
        assertEquals(2, state.generation());
        assertEquals(Set.of("state-2"), store.names(RestartState.STATE_PREFIX));
    }

    @Test
    void theReportSaysWhatTheStoreHolds() throws Exception {
        RestartState state = RestartState.start(store, DEVICE, 4, Map.of(), Map.of(), null);
        OpenFile kept = mapped(PAGE);
        state.changed(kept);
        OpenFile gone = mapped(2 * PAGE);
        state.changed(gone);
        registry.release(gone.area());
        state.released(gone);
        RestartState.Report r = state.report();
        assertEquals(5, r.generation());
        assertEquals(1, r.carrierGeneration());
        assertEquals(2, r.parkedMemfds(), "the released region's memfd stays queued");
        assertEquals(2 * PAGE, r.releasedBytes());
        assertEquals(RestartState.MIN_CAPACITY, r.stateCapacity());
        assertTrue(r.stateBytes() > StateJournal.HEADER_SIZE, "three records written");
        assertEquals(0, r.unrecordedChanges());
        assertEquals(0, r.unparkedRegions());
    }
}
