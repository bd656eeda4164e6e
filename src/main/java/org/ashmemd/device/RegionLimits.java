package org.ashmemd.device;

import java.util.HashMap;
import java.util.Map;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/**
 * Caps on regions per uid and per container: how many, and how many bytes of declared size.
 * They protect the daemon's fd table and the host from one runaway client; 0 means no cap.
 * The tables hold an entry only while the uid or container holds a region (a refused open
 * leaves nothing behind), so they are bounded by the live regions.
 */
public final class RegionLimits {
    /** The caps; generous defaults, an open beyond them fails. */
    public record Caps(int regionsPerUid, long bytesPerUid, int regionsPerContainer, long bytesPerContainer) {
        public static final Caps DEFAULT = new Caps(16_384, 16L << 30, 65_536, 64L << 30);
        public static final Caps NONE = new Caps(0, 0, 0, 0);
    }

    private static final class Usage {
        int regions;
        long bytes;
    }

    /** Read-only stand-in for a uid or container without regions. */
    private static final Usage EMPTY = new Usage();

    private final Caps caps;
    private final Map<Integer, Usage> byUid = new HashMap<>();
    private final Map<String, Usage> byContainer = new HashMap<>();
    private long refused;

    public RegionLimits(Caps caps) {
        this.caps = caps;
    }

    public Caps caps() {
        return caps;
    }

    /** Admits one more region for the uid and container, or says which cap it would break. */
    public synchronized void admit(int uid, String container) throws ErrnoException {
        Usage u = byUid.getOrDefault(uid, EMPTY);
        Usage c = byContainer.getOrDefault(container, EMPTY);
        String who = container.isEmpty() ? "the host" : "container " + container;
        if (caps.regionsPerUid() > 0 && u.regions >= caps.regionsPerUid()) {
            refused++;
            throw new ErrnoException(Errno.EMFILE, "uid " + uid + " already holds " + u.regions + " regions (cap "
                    + caps.regionsPerUid() + ")");
        }
        if (caps.bytesPerUid() > 0 && u.bytes >= caps.bytesPerUid()) {
            refused++;
            throw new ErrnoException(Errno.ENOMEM, "uid " + uid + " already holds " + u.bytes + " bytes of regions (cap "
                    + caps.bytesPerUid() + ")");
        }
        if (!container.isEmpty() && caps.regionsPerContainer() > 0 && c.regions >= caps.regionsPerContainer()) {
            refused++;
            throw new ErrnoException(Errno.EMFILE, who + " already holds " + c.regions + " regions (cap "
                    + caps.regionsPerContainer() + ")");
        }
        if (!container.isEmpty() && caps.bytesPerContainer() > 0 && c.bytes >= caps.bytesPerContainer()) {
            refused++;
            throw new ErrnoException(Errno.ENOMEM, who + " already holds " + c.bytes + " bytes of regions (cap "
                    + caps.bytesPerContainer() + ")");
        }
        byUid.computeIfAbsent(uid, k -> new Usage()).regions++;
        byContainer.computeIfAbsent(container, k -> new Usage()).regions++;
    }

    /**
     * Counts a region a previous daemon admitted (resumed after a restart), without checking
     * the caps: it exists already, whatever the caps say now.
     */
    public synchronized void readmit(int uid, String container, long bytes) {
        Usage u = byUid.computeIfAbsent(uid, k -> new Usage());
        u.regions++;
        u.bytes += bytes;
        Usage c = byContainer.computeIfAbsent(container, k -> new Usage());
        c.regions++;
        c.bytes += bytes;
    }

    /** Uids and containers with an entry: for tests of the bound. */
    synchronized int tracked() {
        return byUid.size() + byContainer.size();
    }

    /** A region of the uid and container changed its size by {@code delta} bytes. */
    public synchronized void resized(int uid, String container, long delta) {
        Usage u = byUid.get(uid);
        Usage c = byContainer.get(container);
        if (u != null) {
            u.bytes += delta;
        }
        if (c != null) {
            c.bytes += delta;
        }
    }

    /** A region of {@code bytes} declared size ended. */
    public synchronized void released(int uid, String container, long bytes) {
        Usage u = byUid.get(uid);
        if (u != null) {
            u.regions--;
            u.bytes -= bytes;
            if (u.regions <= 0) {
                byUid.remove(uid);
            }
        }
        Usage c = byContainer.get(container);
        if (c != null) {
            c.regions--;
            c.bytes -= bytes;
            if (c.regions <= 0) {
                byContainer.remove(container);
            }
        }
    }

    public synchronized long refused() {
        return refused;
    }
}
