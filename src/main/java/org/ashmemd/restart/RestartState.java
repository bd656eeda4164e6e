package org.ashmemd.restart;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.AreaState;
import org.ashmemd.ashmem.BackingLease;
import org.ashmemd.device.OpenFile;
import org.ashmemd.device.StateSink;
import org.ashmemd.logging.RateLimitedLogger;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.Memfd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the restart state current: every region change becomes one record appended to the state
 * memfd (a memory store into a shared mapping, no system call), every first mapping parks the
 * region's memfd in the {@link FdStore} as {@code area-<id>}, and every release removes it. When
 * the log is full, the live regions are written into a fresh memfd ({@code state-<generation+1>},
 * twice as large when they fill more than a quarter of it) before the old one is dropped, so the
 * store always holds one complete state.
 */
public final class RestartState implements StateSink {
    private static final Logger log = LoggerFactory.getLogger(RestartState.class);
    static final int MIN_CAPACITY = 16 << 20;
    static final int MAX_CAPACITY = 1 << 30;
    public static final String CUSE_NAME = "cuse";
    public static final String STATE_PREFIX = "state-";
    public static final String AREA_PREFIX = "area-";

    private final FdStore store;
    private final StateJournal.Device device;
    private final RateLimitedLogger errors = new RateLimitedLogger(log, 5, System::nanoTime);
    private final Object lock = new Object();
    /** Regions whose memfd is parked. */
    private final Set<Long> parked = ConcurrentHashMap.newKeySet();
    // Guarded by lock.
    private final Map<Long, byte[]> live = new LinkedHashMap<>();
    private long liveBytes;
    private int generation;
    private int stateFd = -1;
    private StateJournal journal;
    private int capacity = MIN_CAPACITY;

    private RestartState(FdStore store, StateJournal.Device device) {
        this.store = store;
        this.device = device;
    }

    /**
     * Starts the state of a device: {@code regions} (the resumed ones, or none) are written into
     * a new state memfd after {@code previousGeneration}, which is parked; the caller then drops
     * the previous one. {@code parkedAreas} are the regions whose memfd the store holds already.
     */
    public static RestartState start(FdStore store, StateJournal.Device device, int previousGeneration,
            Map<Long, RegionRecord> regions, Set<Long> parkedAreas) throws ErrnoException {
        RestartState s = new RestartState(store, device);
        s.parked.addAll(parkedAreas);
        synchronized (s.lock) {
            for (RegionRecord r : regions.values()) {
                byte[] rec = r.encode();
                s.live.put(r.id(), rec);
                s.liveBytes += rec.length + 8;
            }
            s.generation = previousGeneration;
            s.newGenerationLocked();
        }
        return s;
    }

    public int generation() {
        synchronized (lock) {
            return generation;
        }
    }

    public StateJournal.Device device() {
        return device;
    }

    @Override
    public void changed(OpenFile file) {
        Area area = file.area();
        park(file);
        synchronized (lock) {
            AreaState s = area.state();
            if (area.isReleased()) {
                return; // its release is, or is about to be, recorded
            }
            byte[] rec = new RegionRecord(s, file.flags(), file.caller(), file.opener(), file.openedAtMillis()).encode();
            byte[] old = live.put(area.id(), rec);
            liveBytes += rec.length + 8 - (old == null ? 0 : old.length + 8);
            appendLocked(rec);
        }
    }

    @Override
    public void released(OpenFile file) {
        long id = file.area().id();
        synchronized (lock) {
            byte[] old = live.remove(id);
            if (old != null) {
                liveBytes -= old.length + 8;
            }
            appendLocked(RegionRecord.encodeGone(id));
        }
        if (parked.remove(id)) {
            try {
                store.remove(AREA_PREFIX + id);
            } catch (ErrnoException e) {
                errors.warn("cannot drop region {}'s memory from the fd store: {}", id, e.getMessage());
            }
        }
    }

    /** The region's memfd goes into the store before any record says it has memory. */
    private void park(OpenFile file) {
        Area area = file.area();
        if (parked.contains(area.id())) {
            return;
        }
        synchronized (file) {
            if (parked.contains(area.id())) {
                return;
            }
            BackingLease lease;
            try {
                lease = area.lease(); // keeps the memfd open while it is parked, even if the area is released
            } catch (ErrnoException e) {
                return; // released, or never mapped: nothing to park
            }
            try (lease) {
                store.store(AREA_PREFIX + area.id(), lease.memory().fd());
                parked.add(area.id());
            } catch (ErrnoException e) {
                errors.warn("cannot park region {}'s memory in the fd store ({}): a restart would lose it", area.id(),
                        e.getMessage());
            }
        }
    }

    /** Records that every request was answered and nothing is in flight: called last on a planned stop. */
    public void markCleanHandOver() {
        synchronized (lock) {
            journal.markCleanHandOver();
        }
    }

    private void appendLocked(byte[] rec) {
        if (journal.append(rec)) {
            return;
        }
        try {
            newGenerationLocked(); // the new generation holds the live regions, this change included
        } catch (ErrnoException e) {
            errors.warn("cannot write a new restart state ({}): a restart now would lose the latest changes",
                    e.getMessage());
        }
    }

    private void newGenerationLocked() throws ErrnoException {
        while (liveBytes * 4 > capacity && capacity < MAX_CAPACITY) {
            capacity *= 2;
        }
        int next = generation + 1;
        int fd = Memfd.create(("ashmemd-state-" + next).getBytes(java.nio.charset.StandardCharsets.US_ASCII), capacity);
        StateJournal j;
        try {
            ByteBuffer map = Memfd.mapShared(fd, capacity);
            j = StateJournal.create(map, next, device);
            for (byte[] rec : live.values()) {
                if (!j.append(rec)) {
                    throw new ErrnoException(org.ashmemd.posix.Errno.ENOSPC, "the live regions exceed "
                            + capacity + " bytes of state");
                }
            }
            store.store(STATE_PREFIX + next, fd);
        } catch (ErrnoException | RuntimeException e) {
            Memfd.close(fd);
            throw e;
        }
        int oldFd = stateFd;
        int oldGeneration = generation;
        stateFd = fd;
        journal = j;
        generation = next;
        if (oldFd >= 0) {
            try {
                store.remove(STATE_PREFIX + oldGeneration);
            } catch (ErrnoException e) {
                errors.warn("cannot drop the old restart state {}: {}", oldGeneration, e.getMessage());
            }
            Memfd.close(oldFd);
        }
        log.debug("restart state generation {}: {} regions, {} of {} bytes", next, live.size(), j.position(), capacity);
    }

    /** For tests: a copy of the live records. */
    Map<Long, byte[]> liveRecords() {
        synchronized (lock) {
            return new HashMap<>(live);
        }
    }
}
