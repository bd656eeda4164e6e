package org.ashmemd.restart;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.AreaState;
import org.ashmemd.ashmem.BackingLease;
import org.ashmemd.device.OpenFile;
import org.ashmemd.device.StateSink;
import org.ashmemd.logging.RateLimitedLogger;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.Memfd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the restart state current: every region change becomes one record appended to the state
 * memfd (a memory store into a shared mapping, no system call): the region's whole state, or
 * only its unpinned ranges after PIN, UNPIN or a purge. Every first mapping queues
 * the region's memfd in the {@link MemoryCarrier} parked in the {@link FdStore} as {@code
 * memory-<generation>}. When the log is full, the live regions are written into a fresh memfd
 * ({@code state-<generation+1>}, twice as large when they fill more than a quarter of it) before
 * the old one is dropped, so the store always holds one complete state. When the carrier's queue
 * is full, or holds more than {@link #MAX_RELEASED_BYTES} of released regions' memory, the live
 * regions' memfds move to a new carrier the same way: parked before the old one is dropped.
 */
public final class RestartState implements StateSink {
    private static final Logger log = LoggerFactory.getLogger(RestartState.class);
    static final int MIN_CAPACITY = 16 << 20;
    static final int MAX_CAPACITY = 1 << 30;
    public static final String CUSE_NAME = "cuse";
    public static final String STATE_PREFIX = "state-";
    public static final String MEMORY_PREFIX = "memory-";
    /** What an older daemon parked each region's memfd under; still taken over. */
    public static final String AREA_PREFIX = "area-";
    /** Released regions' memory the carrier may keep before the live regions move to a new one. */
    static final long MAX_RELEASED_BYTES = 64L << 20;
    /** After a new generation failed, changes go unrecorded this long before the next try. */
    static final long GENERATION_RETRY_NANOS = 1_000_000_000L;

    private final FdStore store;
    private final StateJournal.Device device;
    private final LongSupplier clock;
    private final RateLimitedLogger errors;
    private final Object lock = new Object();
    /** Regions whose memfd is parked. */
    private final Map<Long, Area> parked = new ConcurrentHashMap<>();
    private final Object carrierLock = new Object();
    // Guarded by carrierLock.
    private MemoryCarrier carrier;
    private int carrierGeneration;
    private long releasedBytes;
    // Guarded by lock.
    /** Each live region's last whole record. */
    private final Map<Long, byte[]> live = new LinkedHashMap<>();
    /** Live regions whose pins changed since their whole record: a new generation encodes them again. */
    private final Map<Long, OpenFile> pinsSinceRecord = new HashMap<>();
    /** Each live region's opener labels, encoded once. */
    private final Map<Long, byte[]> openerTexts = new HashMap<>();
    private long liveBytes;
    private int generation;
    private int stateFd = -1;
    private StateJournal journal;
    private int capacity = MIN_CAPACITY;
    /** Where pins records are encoded, one at a time. */
    private ByteBuffer pinsScratch;
    private long nextGenerationTry;
    /** The log is full and no new generation could be parked: nothing is appended until one is. */
    private boolean generationFailed;
    /** Changes since the log filled that no state in the store holds. */
    private long unrecordedChanges;
    /** Regions whose memory could not be parked (a later change tries again). */
    private final Set<Long> unparked = ConcurrentHashMap.newKeySet();

    private RestartState(FdStore store, StateJournal.Device device, LongSupplier clock) {
        this.store = store;
        this.device = device;
        this.clock = clock;
        this.errors = new RateLimitedLogger(log, 5, clock);
    }

    /**
     * Starts the state of a device: {@code regions} (the resumed ones, or none) are written into
     * a new state memfd after {@code previousGeneration}, which is parked; the caller then drops
     * the previous one. {@code parkedAreas} are the regions whose memfd {@code memory} holds
     * already: what {@link #takeOverMemory} took over, or null for a new device (an empty carrier
     * is parked).
     */
    public static RestartState start(FdStore store, StateJournal.Device device, int previousGeneration,
            Map<Long, RegionRecord> regions, Map<Long, Area> parkedAreas, TakenOverMemory memory)
            throws ErrnoException {
        return start(store, device, previousGeneration, regions, parkedAreas, memory, System::nanoTime);
    }

    static RestartState start(FdStore store, StateJournal.Device device, int previousGeneration,
            Map<Long, RegionRecord> regions, Map<Long, Area> parkedAreas, TakenOverMemory memory, LongSupplier clock)
            throws ErrnoException {
        RestartState s = new RestartState(store, device, clock);
        s.parked.putAll(parkedAreas);
        synchronized (s.carrierLock) {
            if (memory == null) {
                s.carrier = parkNewCarrier(store, 1);
                s.carrierGeneration = 1;
            } else {
                s.carrier = memory.carrier;
                s.carrierGeneration = memory.generation;
                if (!memory.complete || memory.carrier.queued() > parkedAreas.size()) {
                    s.moveToNewCarrierLocked(); // leaves the released regions' memory behind
                }
            }
        }
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

    /**
     * The regions' memory an earlier daemon parked, taken over: a new carrier is parked first, and
     * every message of the old ones moves into it as it is received, so that each memfd is in the
     * store at every instant but the one between those two calls.
     *
     * @param carrier the new carrier, parked as {@code memory-<generation>}
     * @param fds the memfds by region id, the daemon's own descriptors
     * @param complete false when the new carrier could not take everything (its queue filled)
     */
    public record TakenOverMemory(MemoryCarrier carrier, int generation, Map<Long, Integer> fds, boolean complete) {
    }

    /**
     * Takes over the carriers parked as {@code memory-<generation>} ({@code carriers}, by
     * generation) and the memfds an older daemon parked one by one as {@code area-<id>}
     * ({@code areas}); both are dropped from the store afterwards and their descriptors closed.
     */
    public static TakenOverMemory takeOverMemory(FdStore store, Map<Integer, List<Integer>> carriers,
            Map<Long, Integer> areas) throws ErrnoException {
        int generation = 1 + carriers.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        MemoryCarrier next = parkNewCarrier(store, generation);
        Map<Long, Integer> fds = new HashMap<>();
        boolean[] complete = {true};
        int malformed = 0;
        for (List<Integer> queues : new TreeMap<>(carriers).values()) {
            for (int queue : queues) {
                malformed += MemoryCarrier.drain(queue, (ids, received) -> {
                    int n = keep(fds, ids, received);
                    if (complete[0] && n > 0 && !next.parkAll(ids, received, n)) {
                        complete[0] = false;
                    }
                });
            }
        }
        for (Map.Entry<Long, Integer> a : areas.entrySet()) {
            long[] ids = {a.getKey()};
            int[] fd = {a.getValue()};
            int n = keep(fds, ids, fd);
            if (complete[0] && n > 0 && !next.parkAll(ids, fd, 1)) {
                complete[0] = false;
            }
        }
        if (malformed > 0) {
            log.warn("{} messages in the parked memory were not understood and are skipped", malformed);
        }
        for (Map.Entry<Integer, List<Integer>> old : carriers.entrySet()) {
            drop(store, MEMORY_PREFIX + old.getKey(), old.getValue());
        }
        for (Long id : areas.keySet()) {
            drop(store, AREA_PREFIX + id, List.of()); // the descriptor is in fds
        }
        return new TakenOverMemory(next, generation, fds, complete[0]);
    }

    /** An empty carrier, parked as {@code memory-<generation>}. */
    private static MemoryCarrier parkNewCarrier(FdStore store, int generation) throws ErrnoException {
        MemoryCarrier c = MemoryCarrier.create();
        try {
            store.store(MEMORY_PREFIX + generation, c.queueEnd());
        } catch (ErrnoException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * Keeps the memfds of regions not seen before and moves them to the front of the arrays;
     * closes the others (the same region twice: a move cut short by a crash). Returns how many
     * were kept.
     */
    private static int keep(Map<Long, Integer> fds, long[] ids, int[] received) {
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            if (fds.putIfAbsent(ids[i], received[i]) == null) {
                ids[n] = ids[i];
                received[n++] = received[i];
            } else {
                Descriptors.close(received[i]);
            }
        }
        return n;
    }

    /**
     * Drops {@code name} from the store, every descriptor under it (a failure is logged), and
     * closes this daemon's {@code fds} of it.
     */
    public static void drop(FdStore store, String name, List<Integer> fds) {
        try {
            store.remove(name);
        } catch (ErrnoException e) {
            log.warn("cannot drop {} from the fd store: {}", name, e.getMessage());
        }
        fds.forEach(Descriptors::close);
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
            byte[] texts = openerTexts.computeIfAbsent(area.id(), id -> RegionRecord.encodeTexts(file.opener()));
            byte[] rec = new RegionRecord(s, file.flags(), file.caller(), file.opener(), file.openedAtMillis())
                    .encode(texts);
            putLiveLocked(area.id(), rec);
            pinsSinceRecord.remove(area.id());
            appendLocked(rec);
        }
    }

    /**
     * A pins record: the region's id and ranges, a few dozen bytes where its whole record has its
     * name, its opener's labels and every other field.
     */
    @Override
    public void pinsChanged(OpenFile file) {
        Area area = file.area();
        park(file); // a region whose park failed tries again at its next change, and PIN and UNPIN are most
        synchronized (lock) {
            if (area.isReleased()) {
                return;
            }
            if (live.containsKey(area.id())) {
                pinsSinceRecord.put(area.id(), file);
                pinsScratch = RegionRecord.encodePins(pinsScratch, area.id(), area.unpinned());
                appendLocked(pinsScratch);
                return;
            }
        }
        changed(file); // not recorded whole yet (recording started after its open); parks outside the lock
    }

    private void putLiveLocked(long id, byte[] rec) {
        byte[] old = live.put(id, rec);
        liveBytes += rec.length + 8 - (old == null ? 0 : old.length + 8);
    }

    @Override
    public void released(OpenFile file) {
        long id = file.area().id();
        synchronized (lock) {
            byte[] old = live.remove(id);
            if (old != null) {
                liveBytes -= old.length + 8;
            }
            openerTexts.remove(id);
            pinsSinceRecord.remove(id);
            appendLocked(RegionRecord.encodeGone(id));
        }
        unparked.remove(id);
        Area area = parked.remove(id);
        if (area != null) {
            synchronized (carrierLock) {
                releasedBytes += area.size();
                if (releasedBytes > MAX_RELEASED_BYTES) {
                    try {
                        moveToNewCarrierLocked();
                    } catch (ErrnoException e) {
                        errors.warn("cannot move the regions' memory to a new carrier ({}): released memory stays"
                                + " held", e.getMessage());
                    }
                }
            }
        }
    }

    /** The region's memfd goes into the store before any record says it has memory. */
    private void park(OpenFile file) {
        Area area = file.area();
        if (parked.containsKey(area.id())) {
            return;
        }
        synchronized (file) {
            if (parked.containsKey(area.id())) {
                return;
            }
            BackingLease lease;
            try {
                lease = area.lease(); // keeps the memfd open while it is parked, even if the area is released
            } catch (ErrnoException e) {
                return; // released, or never mapped: nothing to park
            }
            try (lease) {
                synchronized (carrierLock) {
                    parked.put(area.id(), area);
                    if (!carrier.park(area.id(), lease.memory().fd())) {
                        moveToNewCarrierLocked(); // the full queue's live regions, this one included
                    }
                }
                unparked.remove(area.id());
            } catch (ErrnoException e) {
                parked.remove(area.id());
                if (!area.isReleased()) {
                    unparked.add(area.id());
                }
                errors.warn("cannot park region {}'s memory ({}): a restart would lose it", area.id(), e.getMessage());
            }
        }
    }

    /**
     * Moves the live regions' memfds to a new carrier, parked before the old one is dropped:
     * what leaves released regions' memory behind, and makes room in a full queue.
     */
    private void moveToNewCarrierLocked() throws ErrnoException {
        MemoryCarrier next = MemoryCarrier.create();
        List<BackingLease> leases = new ArrayList<>(parked.size());
        try {
            long[] ids = new long[parked.size()];
            int[] fds = new int[ids.length];
            int n = 0;
            for (Area a : parked.values()) {
                try {
                    BackingLease l = a.lease();
                    leases.add(l);
                    ids[n] = a.id();
                    fds[n++] = l.memory().fd();
                } catch (ErrnoException e) {
                    // released meanwhile
                }
            }
            if (!next.parkAll(ids, fds, n)) {
                throw new ErrnoException(org.ashmemd.posix.Errno.ENOSPC, "the memory of " + n
                        + " regions does not fit in one carrier's queue");
            }
            store.store(MEMORY_PREFIX + (carrierGeneration + 1), next.queueEnd());
        } catch (ErrnoException | RuntimeException e) {
            next.close();
            throw e;
        } finally {
            leases.forEach(BackingLease::close);
        }
        MemoryCarrier old = carrier;
        int oldGeneration = carrierGeneration;
        carrier = next;
        carrierGeneration++;
        releasedBytes = 0;
        if (old != null) {
            try {
                store.remove(MEMORY_PREFIX + oldGeneration);
            } catch (ErrnoException e) {
                errors.warn("cannot drop the old memory carrier {}: {}", oldGeneration, e.getMessage());
            }
            old.close();
        }
    }

    /** Records that every request was answered and nothing is in flight: called last on a planned stop. */
    public void markCleanHandOver() {
        synchronized (lock) {
            journal.markCleanHandOver();
        }
    }

    private void appendLocked(byte[] rec) {
        appendLocked(ByteBuffer.wrap(rec));
    }

    /**
     * Appends a record, or starts a new generation when the log is full. After a failed one, the
     * next try waits {@link #GENERATION_RETRY_NANOS}: each try writes every live region, and
     * trying at every change would make each request pay for it.
     */
    private void appendLocked(ByteBuffer rec) {
        // Not even a record that would still fit while a generation is missing: a pins record
        // must never follow a whole record of the same region that went unrecorded.
        if (!generationFailed && journal.append(rec)) {
            return;
        }
        long now = clock.getAsLong();
        if (generationFailed && now - nextGenerationTry < 0) {
            unrecordedChanges++; // as the warning said
            return;
        }
        try {
            newGenerationLocked(); // the new generation holds the live regions, this change included
            generationFailed = false;
            unrecordedChanges = 0;
        } catch (ErrnoException e) {
            unrecordedChanges++;
            generationFailed = true;
            nextGenerationTry = now + GENERATION_RETRY_NANOS;
            errors.warn("cannot write a new restart state ({}): a restart now would lose the latest changes",
                    e.getMessage());
        }
    }

    private void newGenerationLocked() throws ErrnoException {
        for (Map.Entry<Long, OpenFile> e : pinsSinceRecord.entrySet()) {
            OpenFile f = e.getValue();
            if (f.area().isReleased()) {
                continue; // its release is about to be recorded; its state now has no ranges
            }
            putLiveLocked(e.getKey(), new RegionRecord(f.area().state(), f.flags(), f.caller(), f.opener(),
                    f.openedAtMillis()).encode(openerTexts.computeIfAbsent(e.getKey(),
                            id -> RegionRecord.encodeTexts(f.opener()))));
        }
        pinsSinceRecord.clear();
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

    /** Drops the state and the regions' memory from the store: the device they belong to is gone. */
    public void dropFromStore() {
        synchronized (carrierLock) {
            drop(store, MEMORY_PREFIX + carrierGeneration, List.of());
            carrier.close();
        }
        synchronized (lock) {
            drop(store, STATE_PREFIX + generation, List.of());
        }
    }

    /**
     * What the store holds and what it misses, for the status.
     *
     * @param generation the state's generation, as named in the store
     * @param stateBytes bytes of the state's log in use, header included
     * @param stateCapacity the state memfd's size
     * @param carrierGeneration the memory carrier's generation
     * @param parkedMemfds memfds in the carrier's queue, released regions' included
     * @param releasedBytes memory of regions released since the last move, still held by the queue
     * @param unrecordedChanges changes a restart now would not see: the log is full and no new
     *     generation could be parked since (0 again once one is)
     * @param unparkedRegions live regions whose memory could not be parked: a restart now loses them
     */
    public record Report(int generation, long stateBytes, long stateCapacity, int carrierGeneration,
            int parkedMemfds, long releasedBytes, long unrecordedChanges, long unparkedRegions) {
    }

    public Report report() {
        int g;
        long used;
        long cap;
        long unrecorded;
        synchronized (lock) {
            g = generation;
            used = journal.position();
            cap = journal.capacity();
            unrecorded = unrecordedChanges;
        }
        synchronized (carrierLock) {
            return new Report(g, used, cap, carrierGeneration, carrier.queued(), releasedBytes, unrecorded,
                    unparked.size());
        }
    }

    /** For tests: the carrier the regions' memory goes to now. */
    MemoryCarrier carrier() {
        synchronized (carrierLock) {
            return carrier;
        }
    }

    /** For tests: a copy of the live records. */
    Map<Long, byte[]> liveRecords() {
        synchronized (lock) {
            return new HashMap<>(live);
        }
    }
}
