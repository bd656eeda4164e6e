package org.ashmemd.restart;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.Memfd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a previous daemon left for this one, read from the descriptors the store passed: the
 * {@code /dev/cuse} channel, the newest valid state and the carriers of the regions' memfds.
 *
 * @param cuseFd the channel of the device, still alive
 * @param device what CUSE_INIT settled, and the device's numbers
 * @param generation the generation of the state read
 * @param cleanHandOver whether the previous daemon drained every request before it stopped
 * @param regions the live regions by id, as last recorded
 * @param memoryFds the carriers of the regions' memfds by generation (they may hold released
 *     regions' too); a name normally holds one
 * @param areaFds memfds an older daemon parked one by one, by region id
 * @param stateFds the state memfds by the generation of their name, the one read included,
 *     unreadable ones too
 * @param tornTail whether the log ended in a record cut short (the previous daemon died writing it)
 * @param inFlightFd the table of requests the previous daemon's readers held, or -1
 */
public record HandOver(int cuseFd, StateJournal.Device device, int generation, boolean cleanHandOver,
        Map<Long, RegionRecord> regions, Map<Integer, List<Integer>> memoryFds, Map<Long, Integer> areaFds,
        Map<Integer, List<Integer>> stateFds, boolean tornTail,
        int inFlightFd) {
    private static final Logger log = LoggerFactory.getLogger(HandOver.class);

    /**
     * Reads the hand-over, or returns null when there is none (no {@code cuse} descriptor: a first
     * start).
     *
     * @throws IllegalStateException when there is a channel but no readable state to go with it
     */
    public static HandOver read(HandedOverFds fds) {
        fds.all().values().forEach(list -> list.forEach(org.ashmemd.sys.Descriptors::setCloseOnExec));
        List<Integer> cuse = fds.get(RestartState.CUSE_NAME);
        if (cuse.isEmpty()) {
            return null;
        }
        if (cuse.size() > 1) {
            throw new IllegalStateException(cuse.size() + " descriptors named '" + RestartState.CUSE_NAME
                    + "' were handed over; expected one");
        }
        Map<Integer, List<Integer>> stateFds = new HashMap<>();
        Map<Integer, List<Integer>> memoryFds = new HashMap<>();
        Map<Long, Integer> areaFds = new HashMap<>();
        for (Map.Entry<String, List<Integer>> e : fds.all().entrySet()) {
            String name = e.getKey();
            if (name.startsWith(RestartState.STATE_PREFIX)) {
                Integer gen = parse(name.substring(RestartState.STATE_PREFIX.length()));
                if (gen != null) {
                    stateFds.computeIfAbsent(gen, g -> new ArrayList<>()).addAll(e.getValue());
                }
            } else if (name.startsWith(RestartState.MEMORY_PREFIX)) {
                Integer gen = parse(name.substring(RestartState.MEMORY_PREFIX.length()));
                if (gen != null) {
                    memoryFds.computeIfAbsent(gen, g -> new ArrayList<>()).addAll(e.getValue());
                }
            } else if (name.startsWith(RestartState.AREA_PREFIX)) {
                Long id = parseLong(name.substring(RestartState.AREA_PREFIX.length()));
                if (id != null && !e.getValue().isEmpty()) {
                    areaFds.put(id, e.getValue().get(0));
                }
            }
        }
        StateJournal.Replay best = null;
        for (Map.Entry<Integer, List<Integer>> s : stateFds.entrySet()) {
            for (int fd : s.getValue()) {
                try {
                    ByteBuffer map = Memfd.mapShared(fd, Memfd.size(fd));
                    StateJournal.Replay r = StateJournal.read(map);
                    if (best == null || r.generation() > best.generation()) {
                        best = r;
                    }
                } catch (ErrnoException | IllegalArgumentException e) {
                    log.warn("restart state {} is unreadable: {}", s.getKey(), e.getMessage());
                }
            }
        }
        if (best == null) {
            throw new IllegalStateException("the /dev/cuse channel was handed over without a readable restart state");
        }
        Map<Long, RegionRecord> regions = new LinkedHashMap<>();
        int bad = 0;
        for (ByteBuffer rec : best.records()) {
            long gone = RegionRecord.goneId(rec);
            if (gone >= 0) {
                regions.remove(gone);
                continue;
            }
            try {
                RegionRecord.Pins pins = RegionRecord.decodePins(rec);
                RegionRecord r = pins == null ? RegionRecord.decode(rec) : regions.get(pins.id());
                if (r == null) {
                    bad++; // pins of a region with no record before them
                    continue;
                }
                regions.remove(r.id()); // keeps the order of last change
                regions.put(r.id(), pins == null ? r : r.withUnpinned(pins.unpinned()));
            } catch (IllegalArgumentException e) {
                bad++;
            }
        }
        if (bad > 0) {
            log.warn("{} restart state records were not understood and are skipped", bad);
        }
        List<Integer> inFlight = fds.get(InFlightTable.NAME);
        return new HandOver(cuse.get(0), best.device(), best.generation(), best.cleanHandOver(), regions, memoryFds,
                areaFds, stateFds, best.torn(), inFlight.isEmpty() ? -1 : inFlight.get(0));
    }

    /**
     * The newest generation the store holds, by name or by header: the next state is named after
     * it, so that it never shares a name with one handed over (dropping that name would drop both).
     */
    public int newestGeneration() {
        return Math.max(generation, stateFds.keySet().stream().mapToInt(Integer::intValue).max().orElse(0));
    }

    /** The number a name ends with, written as this daemon writes it (else the drop by name would miss it). */
    private static Integer parse(String s) {
        Long n = parseLong(s);
        return n != null && n >= 0 && n <= Integer.MAX_VALUE ? Integer.valueOf(n.intValue()) : null;
    }

    private static Long parseLong(String s) {
        try {
            long n = Long.parseLong(s);
            return Long.toString(n).equals(s) ? n : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
