package org.ashmemd.restart;

import java.nio.ByteBuffer;
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
 * @param generation the state's generation
 * @param cleanHandOver whether the previous daemon drained every request before it stopped
 * @param regions the live regions by id, as last recorded
 * @param memoryFds the carriers of the regions' memfds by generation (they may hold released
 *     regions' too)
 * @param areaFds memfds an older daemon parked one by one, by region id
 * @param stateFds the state memfds by generation, the one read included
 * @param tornTail whether the log ended in a record cut short (the previous daemon died writing it)
 * @param inFlightFd the table of requests the previous daemon's readers held, or -1
 */
public record HandOver(int cuseFd, StateJournal.Device device, int generation, boolean cleanHandOver,
        Map<Long, RegionRecord> regions, Map<Integer, Integer> memoryFds, Map<Long, Integer> areaFds,
        Map<Integer, Integer> stateFds, boolean tornTail,
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
        Map<Integer, Integer> stateFds = new HashMap<>();
        Map<Integer, Integer> memoryFds = new HashMap<>();
        Map<Long, Integer> areaFds = new HashMap<>();
        for (Map.Entry<String, List<Integer>> e : fds.all().entrySet()) {
            String name = e.getKey();
            if (name.startsWith(RestartState.STATE_PREFIX)) {
                Integer gen = parse(name.substring(RestartState.STATE_PREFIX.length()));
                if (gen != null) {
                    e.getValue().forEach(fd -> stateFds.put(gen, fd));
                }
            } else if (name.startsWith(RestartState.MEMORY_PREFIX)) {
                Integer gen = parse(name.substring(RestartState.MEMORY_PREFIX.length()));
                if (gen != null) {
                    e.getValue().forEach(fd -> memoryFds.put(gen, fd));
                }
            } else if (name.startsWith(RestartState.AREA_PREFIX)) {
                Long id = parseLong(name.substring(RestartState.AREA_PREFIX.length()));
                if (id != null && !e.getValue().isEmpty()) {
                    areaFds.put(id, e.getValue().get(0));
                }
            }
        }
        StateJournal.Replay best = null;
        for (Map.Entry<Integer, Integer> s : stateFds.entrySet()) {
            try {
                long size = Memfd.size(s.getValue());
                ByteBuffer map = Memfd.mapShared(s.getValue(), size);
                StateJournal.Replay r = StateJournal.read(map);
                if (best == null || r.generation() > best.generation()) {
                    best = r;
                }
            } catch (ErrnoException | IllegalArgumentException e) {
                log.warn("restart state {} is unreadable: {}", s.getKey(), e.getMessage());
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
                RegionRecord r = RegionRecord.decode(rec);
                regions.remove(r.id()); // keeps the order of last change
                regions.put(r.id(), r);
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

    private static Integer parse(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
