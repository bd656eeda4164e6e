package org.ashmemd.ashmem;

import static org.ashmemd.ashmem.AreaRegistry.IS_PINNED;
import static org.ashmemd.ashmem.AreaRegistry.IS_UNPINNED;
import static org.ashmemd.ashmem.AreaRegistry.NOT_PURGED;
import static org.ashmemd.ashmem.AreaRegistry.WAS_PURGED;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ashmemd.text.Escape;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;

/**
 * One ashmem area: what one open file description of the device holds. Every method takes the
 * registry's single lock, as the driver takes its one mutex; reads, seeks and hole punches run
 * outside it, because an area's backing never changes once set and is closed only after its last
 * user is done. The first mmap makes the memory outside it too, and keeps it only if nothing
 * changed the area meanwhile (otherwise it checks again, as if it came after that change).
 *
 * <p>Operations on a released area fail with EBADF (the device layer should never issue them).
 */
public final class Area {
    /** ASHMEM_NAME_LEN: the name buffer, NUL included. */
    public static final int NAME_LEN = 256;
    /** What GET_NAME reports, and the backing memory is called, when no name is set. */
    public static final String DEFAULT_NAME = "dev/ashmem";

    private static final byte[] DEFAULT_NAME_BYTES = DEFAULT_NAME.getBytes(StandardCharsets.US_ASCII);

    private final AreaRegistry registry;
    private final ReentrantLock lock;
    private final long id;
    private final long createdNanos;
    /** Unpinned ranges, highest pgstart first. */
    private final Range ranges = Range.sentinel();

    // Guarded by lock.
    private byte[] name = new byte[0];
    private long size;
    private int protMask = Prot.ALL;
    private BackingMemory backing;
    private long position;
    private boolean released;
    /** Reads, seeks, purges and leases using the backing outside the lock: its one reference count. */
    private int backingUsers;
    private boolean backingClosed;

    Area(AreaRegistry registry, long id) {
        this.registry = registry;
        this.lock = registry.lock;
        this.id = id;
        this.createdNanos = System.nanoTime();
    }

    public long id() {
        return id;
    }

    public AreaRegistry registry() {
        return registry;
    }

    /**
     * SET_NAME. {@code buf[0, length)} is what the device layer copied from the caller: at most
     * 256 bytes, ending early at a NUL. The name is the bytes before the first NUL; 256 bytes
     * without one keep the first 255 (the driver's truncation). A shorter buffer without NUL is
     * taken whole.
     */
    public void setName(byte[] buf, int length) throws ErrnoException {
        Objects.checkFromIndexSize(0, length, buf.length);
        byte[] parsed = parseName(buf, length);
        lock.lock();
        try {
            checkLive("SET_NAME");
            if (backing != null) {
                throw new ErrnoException(Errno.EINVAL, "SET_NAME after the region was mapped");
            }
            name = parsed;
        } finally {
            lock.unlock();
        }
    }

    static byte[] parseName(byte[] buf, int length) {
        int limit = Math.min(length, NAME_LEN);
        int n = 0;
        while (n < limit && buf[n] != 0) {
            n++;
        }
        return Arrays.copyOf(buf, Math.min(n, NAME_LEN - 1));
    }

    /**
     * GET_NAME: exactly the bytes the driver copies out, the name and its NUL ({@code
     * strlen + 1}), or {@code "dev/ashmem\0"} when the name is empty.
     */
    public byte[] getName() {
        lock.lock();
        try {
            byte[] src = name.length == 0 ? DEFAULT_NAME_BYTES : name;
            return Arrays.copyOf(src, src.length + 1);
        } finally {
            lock.unlock();
        }
    }

    /**
     * SET_SIZE; {@code size} is the caller's unsigned long. Any value up to Integer.MAX_VALUE is
     * accepted, unaligned and 0 included. Larger values fail with EINVAL: an accepted deviation,
     * since GET_SIZE answers through the CUSE ioctl result, a signed 32-bit int.
     */
    public void setSize(long size) throws ErrnoException {
        lock.lock();
        try {
            checkLive("SET_SIZE");
            if (backing != null) {
                throw new ErrnoException(Errno.EINVAL, "SET_SIZE after the region was mapped");
            }
            if (Long.compareUnsigned(size, Integer.MAX_VALUE) > 0) {
                throw new ErrnoException(Errno.EINVAL, "SET_SIZE to " + Long.toUnsignedString(size)
                        + " bytes exceeds 2147483647, the most GET_SIZE can report through CUSE");
            }
            this.size = size;
        } finally {
            lock.unlock();
        }
    }

    /** GET_SIZE. */
    public long size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /**
     * SET_PROT_MASK; {@code prot} is the caller's unsigned long. Bits can only be removed, except
     * that PROT_READ brings PROT_EXEC back for a caller whose personality has READ_IMPLIES_EXEC,
     * as in the driver. Allowed after mmap; affects later mmaps only.
     */
    public void setProtMask(long prot, boolean readImpliesExec) throws ErrnoException {
        lock.lock();
        try {
            checkLive("SET_PROT_MASK");
            if ((protMask & prot) != prot) {
                throw new ErrnoException(Errno.EINVAL, String.format(
                        "SET_PROT_MASK 0x%x adds bits the mask 0x%x lacks", prot, protMask));
            }
            if ((prot & Prot.READ) != 0 && readImpliesExec) {
                prot |= Prot.EXEC;
            }
            int old = protMask;
            protMask = (int) prot;
            if (backing != null && protMask != old) {
                backing.protMaskChanged(protMask);
            }
        } finally {
            lock.unlock();
        }
    }

    /** GET_PROT_MASK. */
    public int protMask() {
        lock.lock();
        try {
            return protMask;
        } finally {
            lock.unlock();
        }
    }

    /**
     * PIN of {@code [offset, offset + len)}; both are the u32 fields of {@code struct ashmem_pin}
     * (only their low 32 bits count; {@code len == 0} means "to the end"). Returns {@link
     * AreaRegistry#WAS_PURGED} if an overlapping unpinned range had been purged, else {@link
     * AreaRegistry#NOT_PURGED}. Errors: EINVAL before the first mmap, for unaligned values, when
     * {@code offset + len} overflows u32 or passes PAGE_ALIGN(size).
     *
     * <p>The three pin calls wait while a purge is freeing memory, as the driver's do.
     */
    public int pin(long offset, long len) throws ErrnoException {
        lock.lock();
        try {
            PageSpan span = pinSpanLocked("PIN", offset, len);
            return pinLocked(span.pgstart(), span.pgend());
        } finally {
            lock.unlock();
        }
    }

    /**
     * UNPIN of {@code [offset, offset + len)} (arguments and errors as for {@link #pin}); returns
     * 0. The new range merges with the ranges it overlaps (not with merely adjacent ones) and is
     * purged if any of them was; a span some single range already covers changes nothing.
     *
     * <p>{@code len == 0} with {@code offset == PAGE_ALIGN(size)} names no page, yet the driver
     * records an empty range {@code [n, n - 1]} (n = number of pages) for it: 0 pages on the LRU,
     * but PIN and UNPIN spans reaching the last page absorb it (OR-ing its purged flag), and
     * GET_PIN_STATUS of such a span reports it as unpinned. This area does the same, except that
     * it keeps at most one such range that is not purged, which no client can tell apart.
     */
    public int unpin(long offset, long len) throws ErrnoException {
        lock.lock();
        try {
            PageSpan span = pinSpanLocked("UNPIN", offset, len);
            return unpinLocked(span.pgstart(), span.pgend());
        } finally {
            lock.unlock();
        }
    }

    /**
     * GET_PIN_STATUS of {@code [offset, offset + len)}: {@link AreaRegistry#IS_UNPINNED} if any
     * unpinned range overlaps it, else {@link AreaRegistry#IS_PINNED}.
     */
    public int pinStatus(long offset, long len) throws ErrnoException {
        lock.lock();
        try {
            PageSpan span = pinSpanLocked("GET_PIN_STATUS", offset, len);
            return pinStatusLocked(span.pgstart(), span.pgend());
        } finally {
            lock.unlock();
        }
    }

    private PageSpan pinSpanLocked(String op, long offset, long len) throws ErrnoException {
        checkLive(op);
        // A purge in flight has marked ranges purged but not yet freed them; as in the driver,
        // nobody may learn of (or re-pin) those pages until the memory is really gone.
        registry.awaitNoPurgeInFlightLocked();
        checkLive(op);
        if (backing == null) {
            throw new ErrnoException(Errno.EINVAL, op + " before the region was mapped");
        }
        return PageSpan.of(op, offset, len, size, registry.pageSize());
    }

    int pinLocked(long s, long e) {
        int ret = NOT_PURGED;
        for (Range r = ranges.next, next; r != ranges; r = next) {
            next = r.next;
            if (r.endsBefore(s)) {
                break;
            }
            if (!r.overlaps(s, e)) {
                continue;
            }
            if (r.purged) {
                ret = WAS_PURGED;
            }
            if (r.liesWithin(s, e)) {
                deleteLocked(r);
            } else if (Long.compareUnsigned(r.pgstart, s) >= 0) {
                resizeLocked(r, e + 1, r.pgend);
            } else if (Long.compareUnsigned(r.pgend, e) <= 0) {
                resizeLocked(r, r.pgstart, s - 1);
            } else {
                // [s, e] is a hole inside r: the upper part becomes a new range, as recently
                // unpinned as if it had just been unpinned (it joins the LRU's tail).
                insertLocked(r, new Range(this, e + 1, r.pgend, r.purged));
                resizeLocked(r, r.pgstart, s - 1);
                break;
            }
        }
        return ret;
    }

    /**
     * The driver walks the list, and after every merge restarts from the head with the widened
     * span. Ranges already passed cannot overlap the widened span (they lie wholly above it and
     * ranges are disjoint), except empty ranges {@code [n, n - 1]}, which sit at the head and
     * overlap any span reaching page {@code n - 1}. So a merge rescans only the head's empty
     * ranges and the walk goes on from where it was, with the same outcome in linear time.
     */
    int unpinLocked(long s, long e) {
        if (e + 1 == s && hasEmptyRangeOnLruLocked()) {
            return 0;
        }
        boolean purged = false;
        Range r = ranges.next;
        while (r != ranges) {
            Range next = r.next;
            if (r.endsBefore(s)) {
                break;
            }
            if (r.covers(s, e)) {
                return 0; // already unpinned as a whole
            }
            if (r.overlaps(s, e)) {
                long oldEnd = e;
                s = umin(r.pgstart, s);
                e = umax(r.pgend, e);
                purged |= r.purged;
                deleteLocked(r);
                if (e != oldEnd) {
                    for (Range h = ranges.next, hn; h != ranges && h != next && h.pages() == 0; h = hn) {
                        hn = h.next;
                        if (h.overlaps(s, e)) {
                            purged |= h.purged;
                            deleteLocked(h);
                        }
                    }
                }
            }
            r = next;
        }
        insertLocked(r, new Range(this, s, e, purged));
        return 0;
    }

    /**
     * The driver adds one more empty range for every UNPIN of the empty span, without bound. Two
     * empty, not purged ranges are indistinguishable to a client (PIN reports the OR of the purged
     * flags it meets, GET_PIN_STATUS only whether one exists, the LRU counts them as 0 pages, and
     * the older one is always purged first), so the daemon keeps one and stays bounded.
     */
    private boolean hasEmptyRangeOnLruLocked() {
        for (Range h = ranges.next; h != ranges && h.pages() == 0; h = h.next) {
            if (!h.purged) {
                return true;
            }
        }
        return false;
    }

    int pinStatusLocked(long s, long e) {
        for (Range r = ranges.next; r != ranges; r = r.next) {
            if (r.endsBefore(s)) {
                break;
            }
            if (r.overlaps(s, e)) {
                return IS_UNPINNED;
            }
        }
        return IS_PINNED;
    }

    /** Links {@code r} in before {@code at} (the head sentinel: at the end) and onto the LRU. */
    private void insertLocked(Range at, Range r) {
        r.prev = at.prev;
        r.next = at;
        at.prev.next = r;
        at.prev = r;
        if (!r.purged) {
            registry.lru.addTail(r);
        }
    }

    private void deleteLocked(Range r) {
        r.prev.next = r.next;
        r.next.prev = r.prev;
        r.prev = r;
        r.next = r;
        if (r.onLru) {
            registry.lru.remove(r);
        }
        r.deleted = true;
    }

    /** A range keeps its place on the LRU when it shrinks. */
    private void resizeLocked(Range r, long pgstart, long pgend) {
        long old = r.pages();
        r.pgstart = pgstart;
        r.pgend = pgend;
        registry.lru.resized(r, old);
    }

    private static long umin(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    private static long umax(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    /** GET_FILE_ID: the backing memory's inode number. */
    public long fileId() throws ErrnoException {
        lock.lock();
        try {
            checkLive("GET_FILE_ID");
            if (backing == null) {
                throw new ErrnoException(Errno.EINVAL, "GET_FILE_ID before the region was mapped");
            }
            return backing.inode();
        } finally {
            lock.unlock();
        }
    }

    /**
     * read(): reads the backing memory at this area's file position and advances it. A size of 0
     * reads as end of file even before the first mmap.
     */
    public int read(ByteBuffer dst) throws ErrnoException {
        BackingMemory b;
        long pos;
        lock.lock();
        try {
            checkLive("read");
            if (size == 0) {
                return 0;
            }
            if (backing == null) {
                throw new ErrnoException(Errno.EBADF, "read of a region that was never mapped");
            }
            b = beginBackingUseLocked();
            pos = position;
        } finally {
            lock.unlock();
        }
        int n = 0;
        try {
            n = b.read(pos, dst);
        } finally {
            long newPos = pos + n;
            endBackingUse(n > 0 ? () -> position = newPos : null);
        }
        return n;
    }

    /**
     * lseek(): seeks the backing memory from this area's file position with the backing file's
     * rules (SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE) and keeps the new position.
     */
    public long seek(long offset, int whence) throws ErrnoException {
        BackingMemory b;
        long pos;
        lock.lock();
        try {
            checkLive("lseek");
            if (size == 0) {
                throw new ErrnoException(Errno.EINVAL, "lseek on a region of size 0");
            }
            if (backing == null) {
                throw new ErrnoException(Errno.EBADF, "lseek on a region that was never mapped");
            }
            b = beginBackingUseLocked();
            pos = position;
        } finally {
            lock.unlock();
        }
        long newPos = -1;
        try {
            newPos = b.seek(pos, offset, whence);
        } finally {
            long p = newPos;
            endBackingUse(p >= 0 ? () -> position = p : null);
        }
        return newPos;
    }

    /** The file position read() and lseek() use. */
    public long position() {
        lock.lock();
        try {
            return position;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The driver's mmap checks for a mapping of {@code lengthBytes} (already page-rounded) with
     * protection {@code prot} (after any READ_IMPLIES_EXEC adjustment; only PROT_READ, PROT_WRITE
     * and PROT_EXEC count). The first successful call creates the backing memory, which freezes
     * name and size.
     */
    public void map(long lengthBytes, int prot) throws ErrnoException {
        for (;;) {
            byte[] name;
            long frozenSize;
            int frozenMask;
            lock.lock();
            try {
                checkMapLocked(lengthBytes, prot);
                if (backing != null) {
                    return;
                }
                name = backingName();
                frozenSize = size;
                frozenMask = protMask;
            } finally {
                lock.unlock();
            }
            // The memory is made outside the registry's lock (memfd_create and four more system
            // calls), so that the first mmap of one region does not hold up every other request.
            BackingMemory created = Objects.requireNonNull(registry.factory().create(name, frozenSize, frozenMask),
                    "the backing memory factory returned null");
            lock.lock();
            try {
                // as if the mmap came before whatever else got the lock meanwhile, or after it
                if (!released && backing == null && size == frozenSize && protMask == frozenMask
                        && Arrays.equals(name, backingName())) {
                    checkMapLocked(lengthBytes, prot);
                    backing = created;
                    return;
                }
            } finally {
                lock.unlock();
            }
            // another mmap made the memory first, or name, size or mask changed: check again
            created.close();
        }
    }

    /**
     * The backing memory of a mapped area, kept open until the lease is closed even if the area
     * is released meanwhile. EBADF once released, EINVAL before the first mmap.
     */
    public BackingLease lease() throws ErrnoException {
        lock.lock();
        try {
            checkLive("lease");
            if (backing == null) {
                throw new ErrnoException(Errno.EINVAL, "lease of a region that was never mapped");
            }
            return new BackingLease(this, beginBackingUseLocked());
        } finally {
            lock.unlock();
        }
    }

    /** Memory the backing holds now, in bytes: 0 before the first mmap and after release. */
    public long residentBytes() {
        BackingMemory b;
        lock.lock();
        try {
            if (released || backing == null) {
                return 0;
            }
            b = beginBackingUseLocked();
        } finally {
            lock.unlock();
        }
        try {
            return b.residentBytes();
        } finally {
            endBackingUse();
        }
    }

    private void checkMapLocked(long lengthBytes, int prot) throws ErrnoException {
        checkLive("mmap");
        if (size == 0) {
            throw new ErrnoException(Errno.EINVAL, "mmap of a region of size 0");
        }
        long alignedSize = PageSpan.pageAlign(size, registry.pageSize());
        if (Long.compareUnsigned(lengthBytes, alignedSize) > 0) {
            throw new ErrnoException(Errno.EINVAL, "mmap of " + Long.toUnsignedString(lengthBytes)
                    + " bytes exceeds the region's " + alignedSize + " page-aligned bytes");
        }
        if ((prot & ~protMask & Prot.ALL) != 0) {
            throw new ErrnoException(Errno.EPERM, "mmap with prot " + Prot.toString(prot)
                    + " exceeds the region's prot mask " + Prot.toString(protMask));
        }
    }

    /**
     * The backing memory: null before the first mmap and after release. For the core and its
     * tests; anything else goes through {@link #lease()}.
     */
    BackingMemory backing() {
        lock.lock();
        try {
            return released ? null : backing;
        } finally {
            lock.unlock();
        }
    }

    public boolean isReleased() {
        lock.lock();
        try {
            return released;
        } finally {
            lock.unlock();
        }
    }

    boolean isReleasedLocked() {
        return released;
    }

    /** The driver's backing file name, "dev/ashmem/NAME" or "dev/ashmem", as raw bytes. */
    private byte[] backingName() {
        if (name.length == 0) {
            return DEFAULT_NAME_BYTES.clone();
        }
        byte[] full = new byte[DEFAULT_NAME_BYTES.length + 1 + name.length];
        System.arraycopy(DEFAULT_NAME_BYTES, 0, full, 0, DEFAULT_NAME_BYTES.length);
        full[DEFAULT_NAME_BYTES.length] = '/';
        System.arraycopy(name, 0, full, DEFAULT_NAME_BYTES.length + 1, name.length);
        return full;
    }

    public AreaSnapshot snapshot() {
        lock.lock();
        try {
            return snapshotLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The unpinned ranges, highest page first, with their purged marks: the part of {@link
     * #state()} that PIN, UNPIN and a purge change.
     */
    public List<UnpinnedRange> unpinned() {
        lock.lock();
        try {
            return rangesLocked();
        } finally {
            lock.unlock();
        }
    }

    /** The area's exact state, for a restarted daemon to resume it. */
    public AreaState state() {
        lock.lock();
        try {
            return new AreaState(id, name, size, protMask, position, backing != null, rangesLocked());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets a new area to the state a previous daemon recorded: name, size, mask and position,
     * its backing memory, and its unpinned ranges, which join the LRU's tail in list order (the
     * old LRU order between areas is not kept).
     */
    void restoreLocked(AreaState s, BackingMemory memory) {
        name = s.name();
        size = s.size();
        protMask = s.protMask();
        position = s.position();
        backing = memory;
        for (UnpinnedRange u : s.unpinned()) {
            insertLocked(ranges, new Range(this, u.pgstart(), u.pgend(), u.purged()));
        }
    }

    AreaSnapshot snapshotLocked() {
        long[] pages = new long[2];
        countPagesLocked(pages);
        return new AreaSnapshot(id, Escape.decode(name), Escape.isUtf8(name) ? null : Escape.hex(name), size, protMask,
                backing != null, backing != null ? backing.inode() : -1, rangesLocked(), pages[0], pages[1],
                createdNanos);
    }

    List<UnpinnedRange> rangesLocked() {
        List<UnpinnedRange> out = new ArrayList<>();
        for (Range r = ranges.next; r != ranges; r = r.next) {
            out.add(r.toRecord());
        }
        return out;
    }

    /**
     * Adds this area's unpinned and purged page counts to {@code totals[0]} and {@code totals[1]}:
     * the one place they are counted, for the registry's totals and each area's snapshot.
     */
    void countPagesLocked(long[] totals) {
        for (Range r = ranges.next; r != ranges; r = r.next) {
            totals[0] += r.pages();
            if (r.purged) {
                totals[1] += r.pages();
            }
        }
    }

    boolean hasBackingLocked() {
        return backing != null;
    }

    long sizeLocked() {
        return size;
    }

    /**
     * Marks the area released and drops its ranges (off the LRU too). Returns the backing memory
     * if it must be closed now, or null (none, or still in use: the last user closes it).
     */
    BackingMemory releaseLocked() {
        released = true;
        while (ranges.next != ranges) {
            deleteLocked(ranges.next);
        }
        return takeBackingToCloseLocked();
    }

    BackingMemory beginBackingUseLocked() {
        backingUsers++;
        return backing;
    }

    void endBackingUse() {
        endBackingUse(null);
    }

    private void endBackingUse(Runnable updateLocked) {
        BackingMemory toClose;
        lock.lock();
        try {
            if (updateLocked != null) {
                updateLocked.run();
            }
            toClose = endBackingUseLocked();
        } finally {
            lock.unlock();
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    /** Returns the backing memory if this was the last use after release; the caller closes it. */
    BackingMemory endBackingUseLocked() {
        backingUsers--;
        return takeBackingToCloseLocked();
    }

    private BackingMemory takeBackingToCloseLocked() {
        if (released && backingUsers == 0 && backing != null && !backingClosed) {
            backingClosed = true;
            return backing;
        }
        return null;
    }

    private void checkLive(String op) throws ErrnoException {
        if (released) {
            throw new ErrnoException(Errno.EBADF, op + " on a released region");
        }
    }

    @Override
    public String toString() {
        return "ashmem area " + id;
    }
}
