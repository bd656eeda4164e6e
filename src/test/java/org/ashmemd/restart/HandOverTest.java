package org.ashmemd.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.UnpinnedRange;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.device.OpenFile;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.Prot;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.Memfd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a next daemon reads from what {@link RestartState} parked: real memfds, through a store
 * that keeps duplicates as systemd does. A memfd stands in for the {@code /dev/cuse} channel,
 * which is only passed along here.
 */
class HandOverTest {
    private static final int PAGE = 4096;
    private static final StateJournal.Device DEVICE = new StateJournal.Device(121, 0, 38, 0, 38, 0, 131072, 131072, PAGE);

    private final KeepingStore store = new KeepingStore();
    private final AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
    private final List<HandOver> read = new ArrayList<>();

    @BeforeEach
    void parkChannel() throws Exception {
        int channel = Memfd.create("cuse".getBytes(StandardCharsets.US_ASCII), PAGE);
        store.store(RestartState.CUSE_NAME, channel);
        Descriptors.close(channel);
    }

    @AfterEach
    void closeAll() {
        store.closeAll();
        for (HandOver h : read) {
            Descriptors.close(h.cuseFd());
            h.stateFds().values().forEach(l -> l.forEach(Descriptors::close));
            h.memoryFds().values().forEach(l -> l.forEach(Descriptors::close));
        }
    }

    private HandOver handOver() throws Exception {
        HandOver h = HandOver.read(store.handOver());
        read.add(h);
        return h;
    }

    /** The valid records of the state parked as {@code name}. */
    private List<ByteBuffer> records(String name) throws Exception {
        int fd = store.fds.get(name).get(0);
        return StateJournal.read(Memfd.mapShared(fd, Memfd.size(fd))).records();
    }

    private OpenFile mapped(int pages) throws Exception {
        Area area = registry.open();
        area.setSize((long) pages * PAGE);
        area.map((long) pages * PAGE, Prot.READ | Prot.WRITE);
        return new OpenFile(area, 2, new Caller(0, 0, 1), 0);
    }

    @Test
    void pinsRecordsCarryTheLatestRangesAcrossARestart() throws Exception {
        RestartState state = RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null);
        OpenFile f = mapped(8);
        OpenFile other = mapped(2);
        state.changed(f);
        state.changed(other);
        f.area().unpin(0, 6 * PAGE);
        state.pinsChanged(f);
        f.area().pin(2 * PAGE, PAGE);
        state.pinsChanged(f);
        List<UnpinnedRange> expected = f.area().unpinned();
        assertEquals(2, expected.size(), "pages 0-1 and 3-5 stay unpinned");

        List<ByteBuffer> records = records("state-1");
        RegionRecord.Pins last = RegionRecord.decodePins(records.get(records.size() - 1));
        assertEquals(f.area().id(), last.id(), "PIN appended a pins record, not a whole one");
        assertEquals(expected, last.unpinned());
        assertEquals(4, records.size(), "two whole records, two pins records");

        HandOver h = handOver();
        assertEquals(expected, h.regions().get(f.area().id()).area().unpinned());
        assertEquals(List.of(), h.regions().get(other.area().id()).area().unpinned());
        assertEquals(List.of(other.area().id(), f.area().id()), new ArrayList<>(h.regions().keySet()),
                "the region changed last comes last");
    }

    /** A new generation holds whole records: the pins since each region's last one are folded in. */
    @Test
    void aNewGenerationWritesWholeRecordsWithTheLatestPins() throws Exception {
        RestartState state = RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null);
        OpenFile f = mapped(4);
        state.changed(f);
        for (int i = 0; store.names(RestartState.STATE_PREFIX).contains("state-1"); i++) {
            assertTrue(i < 2_000_000, "the log never filled");
            if (i % 2 == 0) {
                f.area().unpin(0, PAGE);
            } else {
                f.area().pin(0, PAGE);
            }
            state.pinsChanged(f);
        }
        assertEquals(Set.of("state-2"), store.names(RestartState.STATE_PREFIX));
        List<UnpinnedRange> expected = f.area().unpinned();

        List<ByteBuffer> records = records("state-2");
        ByteBuffer first = records.get(0);
        assertEquals(null, RegionRecord.decodePins(first), "a whole record starts the generation");
        assertEquals(expected, RegionRecord.decode(first).area().unpinned());
        assertEquals(1, records.size(), "the change that did not fit is in the whole record");

        HandOver h = handOver();
        assertEquals(2, h.generation());
        assertEquals(expected, h.regions().get(f.area().id()).area().unpinned());
    }

    /**
     * An unreadable state named after a newer generation: the next state is named after it, not
     * the same, since dropping a name drops every descriptor under it.
     */
    @Test
    void theNextStateIsNamedPastEveryGenerationInTheStore() throws Exception {
        RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null);
        int junk = Memfd.create("junk".getBytes(StandardCharsets.US_ASCII), 2 * PAGE);
        store.store("state-2", junk);
        store.store("state-7", junk); // two descriptors under one name: both are read
        int good = store.fds.get("state-1").get(0);
        store.store("state-7", good);
        store.remove("state-1");
        Descriptors.close(junk);

        HandOver h = handOver();
        assertEquals(1, h.generation(), "the readable one, read under state-7");
        assertEquals(7, h.newestGeneration());
        assertEquals(Set.of(2, 7), h.stateFds().keySet());
        assertEquals(2, h.stateFds().get(7).size());
        RestartState next = RestartState.start(store, DEVICE, h.newestGeneration(), h.regions(), Map.of(), null);
        assertEquals(8, next.generation());
    }

    @Test
    void pinsOfARegionWithNoWholeRecordBeforeThemAreSkipped() throws Exception {
        int fd = Memfd.create("state".getBytes(StandardCharsets.US_ASCII), 4 * PAGE);
        StateJournal j = StateJournal.create(Memfd.mapShared(fd, 4 * PAGE), 1, DEVICE);
        OpenFile f = mapped(2);
        RegionRecord whole = new RegionRecord(f.area().state(), f.flags(), f.caller(), f.opener(), 0);
        List<UnpinnedRange> unpinned = List.of(new UnpinnedRange(0, 0, false));
        assertTrue(j.append(whole.encode()));
        assertTrue(j.append(RegionRecord.encodePins(null, f.area().id() + 1, unpinned)));
        assertTrue(j.append(RegionRecord.encodePins(null, f.area().id(), unpinned)));
        store.store("state-1", fd);
        Descriptors.close(fd);
        HandOver h = handOver();
        assertEquals(Set.of(f.area().id()), h.regions().keySet());
        assertEquals(unpinned, h.regions().get(f.area().id()).area().unpinned());
    }

    /**
     * While the log is full and no new generation could be parked, nothing is appended, not even
     * a pins record that would fit: it would follow a whole record that went unrecorded.
     */
    @Test
    void whileAGenerationIsMissingNoRecordFollowsAnUnrecordedOne() throws Exception {
        long[] now = {0};
        RestartState state = RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null, () -> now[0]);
        OpenFile f = mapped(4);
        state.changed(f);
        f.area().unpin(0, PAGE);
        state.pinsChanged(f);
        List<UnpinnedRange> before = f.area().unpinned();
        int maskBefore = f.area().state().protMask();

        // fill the log until f's pins record (40 bytes with its header) would still fit and its
        // whole record (over 100) would not
        OpenFile filler = mapped(1);
        state.changed(filler);
        for (int i = 0; left(state) > 1000; i++) {
            assertTrue(i < 2_000_000, "the log never filled");
            state.changed(filler);
        }
        while (left(state) >= 48 + 24) {
            state.pinsChanged(filler); // no ranges: 24 bytes
        }
        assertEquals(1, state.generation());
        assertTrue(left(state) >= 48, left(state) + " bytes left");
        store.refusing = name -> name.startsWith(RestartState.STATE_PREFIX);
        f.area().setProtMask(Prot.READ, false);
        state.changed(f); // a whole record that does not fit: the new generation is refused
        assertEquals(1, store.refused);
        f.area().pin(0, PAGE);
        state.pinsChanged(f); // would fit; must not be appended
        assertEquals(2, state.report().unrecordedChanges());

        HandOver h = handOver();
        assertEquals(before, h.regions().get(f.area().id()).area().unpinned(), "no pins after a missing record");
        assertEquals(maskBefore, h.regions().get(f.area().id()).area().protMask());

        store.refusing = name -> false;
        now[0] += RestartState.GENERATION_RETRY_NANOS;
        state.changed(filler);
        assertEquals(2, state.generation());
        assertEquals(0, state.report().unrecordedChanges(), "the new generation holds everything");
        HandOver after = handOver();
        assertEquals(List.of(), after.regions().get(f.area().id()).area().unpinned());
        assertEquals(Prot.READ, after.regions().get(f.area().id()).area().protMask());
    }

    /** A region the state has no record of yet (served before recording started) gets a whole one. */
    @Test
    void pinsOfARegionNotRecordedYetWriteItsWholeRecord() throws Exception {
        RestartState state = RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null);
        OpenFile f = mapped(2);
        f.area().unpin(0, PAGE);
        state.pinsChanged(f);
        List<ByteBuffer> records = records("state-1");
        assertEquals(1, records.size());
        assertEquals(null, RegionRecord.decodePins(records.get(0)));
        assertEquals(f.area().unpinned(), RegionRecord.decode(records.get(0)).area().unpinned());
        assertEquals(f.area().unpinned(), handOver().regions().get(f.area().id()).area().unpinned());
    }

    private static long left(RestartState state) {
        RestartState.Report r = state.report();
        return r.stateCapacity() - r.stateBytes();
    }

    @Test
    void onlyNamesAsTheDaemonWritesThemCount() throws Exception {
        RestartState.start(store, DEVICE, 0, Map.of(), Map.of(), null);
        int good = store.fds.get("state-1").get(0);
        store.store("state-07", good); // "07" is not how a daemon names generation 7
        HandOver h = handOver();
        assertEquals(Set.of(1), h.stateFds().keySet());
        assertEquals(1, h.newestGeneration());
    }
}
