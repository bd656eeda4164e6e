package org.ashmemd.device;

import org.ashmemd.ashmem.Area;
import org.ashmemd.control.Opener;
import org.ashmemd.cuse.session.Caller;

/**
 * One open file description of the device: its area, how it was opened and by whom. dup, fork
 * and fd passing share it; it ends with RELEASE.
 */
public final class OpenFile {
    private static final int O_ACCMODE = 3;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;

    private final Area area;
    private final int flags;
    private final Caller caller;
    private final Opener opener;
    private final long openedAtMillis;
    private volatile boolean released;
    /** The size the region limits were last told about. */
    long accountedSize;

    public OpenFile(Area area, int flags, Caller caller, Opener opener, long openedAtMillis) {
        this.area = area;
        this.flags = flags;
        this.caller = caller;
        this.opener = opener;
        this.openedAtMillis = openedAtMillis;
    }

    public OpenFile(Area area, int flags, Caller caller, long openedAtMillis) {
        this(area, flags, caller, new Opener(-1, caller.tid(), "?", "?", caller.uid(), "", ""), openedAtMillis);
    }

    public Area area() {
        return area;
    }

    public int flags() {
        return flags;
    }

    /** Opened O_RDONLY: shared writable mappings are refused, as for any read-only file. */
    public boolean readOnly() {
        return (flags & O_ACCMODE) == O_RDONLY;
    }

    /** Opened O_WRONLY: nothing may be mapped through it. */
    public boolean writeOnly() {
        return (flags & O_ACCMODE) == O_WRONLY;
    }

    /** The request header of the OPEN. */
    public Caller caller() {
        return caller;
    }

    /** Who opened it, as learnt from /proc at open time. */
    public Opener opener() {
        return opener;
    }

    public long openedAtMillis() {
        return openedAtMillis;
    }

    public boolean released() {
        return released;
    }

    void markReleased() {
        released = true;
    }
}
