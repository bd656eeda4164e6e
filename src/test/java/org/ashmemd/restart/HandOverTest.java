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

        int fd = store.fds.get("state-2").get(0);
        StateJournal.Replay replay = StateJournal.read(Memfd.mapShared(fd, Memfd.size(fd)));
        ByteBuffer first = replay.records().get(0);
        assertEquals(null, RegionRecord.decodePins(first), "a whole record starts the generation");
        assertEquals(expected, RegionRecord.decode(first).area().unpinned());
        assertEquals(1, replay.records().size(), "the change that did not fit is in the whole record");

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
        assertTrue(j.append(RegionRecord.encodePins(99, List.of(new UnpinnedRange(0, 0, false)))));
        store.store("state-1", fd);
        Descriptors.close(fd);
        HandOver h = handOver();
        assertTrue(h.regions().isEmpty());
    }
}
