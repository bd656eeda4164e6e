package org.ashmemd.device;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.Collections;
import java.util.concurrent.ConcurrentHashMap;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.control.Opener;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.cuse.session.CharDevice;
import org.ashmemd.cuse.session.IoctlReply;
import org.ashmemd.cuse.session.IoctlRequest;
import org.ashmemd.logging.RateLimitedLogger;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * /dev/ashmem as a CUSE character device: maps each ioctl onto the ashmem core, deciding which
 * arguments are values and which are pointers into the caller's memory (fetched and stored with
 * the unrestricted-ioctl retry exchange). Copies happen in the same order as in the driver, so
 * a bad pointer gives EFAULT exactly where the driver gives it.
 */
public final class AshmemCharDevice implements CharDevice {
    private static final Logger log = LoggerFactory.getLogger(AshmemCharDevice.class);
    private static final int PIN_STRUCT_SIZE = 8;

    private final AreaRegistry registry;
    private final CallerFacts callers;
    private final MapGrants grants;
    private final OpenerResolver openers;
    private final RegionLimits limits;
    private final RateLimitedLogger limitLog = new RateLimitedLogger(log, 5, System::nanoTime);
    private final int pageSize;
    private volatile Runnable afterUnpin = () -> { };
    private final ConcurrentHashMap<Long, OpenFile> files = new ConcurrentHashMap<>();
    private volatile StateSink state = StateSink.NONE;

    public AshmemCharDevice(AreaRegistry registry, CallerFacts callers, MapGrants grants, OpenerResolver openers,
            RegionLimits limits) {
        this.registry = registry;
        this.callers = callers;
        this.grants = grants;
        this.openers = openers;
        this.limits = limits;
        this.pageSize = registry.pageSize();
    }

    public RegionLimits limits() {
        return limits;
    }

    /** Called after every successful UNPIN (the unpinned-memory soft limit checks there). */
    public void setAfterUnpin(Runnable afterUnpin) {
        this.afterUnpin = afterUnpin;
    }

    /**
     * Reports every region change to {@code sink} from now on, purges included (the restart
     * state keeps itself current this way).
     */
    public void setStateSink(StateSink sink) {
        this.state = sink;
        registry.setPurgeListener(area -> {
            OpenFile f = files.get(area.id());
            if (f != null) {
                state.pinsChanged(f);
            }
        });
    }

    /**
     * Re-creates the open file of a region a previous daemon served (its area restored already
     * in the registry), counting it against the caps without refusing it.
     */
    public OpenFile restore(Area area, int flags, Caller caller, Opener opener, long openedAtMillis) {
        OpenFile file = new OpenFile(area, flags, caller, opener, openedAtMillis);
        file.accountedSize = area.size();
        limits.readmit(opener.uid(), opener.container(), file.accountedSize);
        if (files.putIfAbsent(area.id(), file) != null) {
            throw new IllegalArgumentException("fh " + area.id() + " is open already");
        }
        return file;
    }

    /**
     * Forgets every open file without closing its region's memory in the fd store: for a
     * planned restart, where the next daemon takes them over.
     */
    public void detachAll() {
        files.clear();
    }

    /** The open files, for the admin plane. */
    public Collection<OpenFile> openFiles() {
        return Collections.unmodifiableCollection(files.values());
    }

    /** The open file of region {@code id} (its file handle), or null. */
    public OpenFile openFile(long id) {
        return files.get(id);
    }

    public AreaRegistry registry() {
        return registry;
    }

    @Override
    public long open(Caller caller, int flags) throws ErrnoException {
        Opener opener = openers.resolve(caller.tid(), caller.uid());
        try {
            limits.admit(caller.uid(), opener.container());
        } catch (ErrnoException e) {
            limitLog.warn("open by pid {} ({}) refused with {}: {}", opener.pid(), opener.processName(),
                    e.errnoName(), e.getMessage());
            throw e;
        }
        Area area = registry.open();
        OpenFile file = new OpenFile(area, flags, caller, opener, System.currentTimeMillis());
        files.put(area.id(), file);
        state.changed(file);
        return area.id();
    }

    @Override
    public void release(long fh, int flags) {
        OpenFile file = files.remove(fh);
        if (file == null) {
            log.warn("RELEASE of unknown fh {}", fh);
            return;
        }
        file.markReleased();
        grants.revoke(file);
        registry.release(file.area());
        synchronized (file) {
            limits.released(file.opener().uid(), file.opener().container(), file.accountedSize);
        }
        state.released(file);
    }

    /** Releases every open file, as if each had been closed: used when the daemon stops. */
    public void releaseAll() {
        for (Long fh : files.keySet()) {
            release(fh, 0);
        }
    }

    @Override
    public int read(Caller caller, long fh, long offsetInCall, ByteBuffer dst, int fileFlags) throws ErrnoException {
        OpenFile file = file(fh);
        int n = file.area().read(dst);
        if (n > 0) {
            state.changed(file); // the file position moved
        }
        return n;
    }

    @Override
    public int write(Caller caller, long fh, long offsetInCall, ByteBuffer src, int fileFlags) throws ErrnoException {
        file(fh);
        throw new ErrnoException(Errno.EINVAL, "write() is not supported by ashmem");
    }

    @Override
    public IoctlReply ioctl(Caller caller, IoctlRequest req) throws ErrnoException {
        IoctlReply reply = ashmemIoctl(caller, req);
        if (reply instanceof IoctlReply.Done && AshmemIoctl.changesState(req.cmd())) {
            OpenFile file = files.get(req.fh());
            if (file == null) {
                return reply;
            }
            if (AshmemIoctl.changesPinsOnly(req.cmd())) {
                state.pinsChanged(file);
            } else {
                state.changed(file);
            }
        }
        return reply;
    }

    private IoctlReply ashmemIoctl(Caller caller, IoctlRequest req) throws ErrnoException {
        OpenFile file = file(req.fh());
        Area area = file.area();
        int cmd = req.cmd();
        long arg = req.arg();
        if (req.compat()) {
            // the driver's compat handler renames these two and passes everything else on
            if (cmd == AshmemIoctl.COMPAT_SET_SIZE) {
                cmd = AshmemIoctl.SET_SIZE;
            } else if (cmd == AshmemIoctl.COMPAT_SET_PROT_MASK) {
                cmd = AshmemIoctl.SET_PROT_MASK;
            } else if (cmd == AshmemIoctl.COMPAT_GET_FILE_ID) {
                cmd = AshmemIoctl.GET_FILE_ID;
            }
        }
        switch (cmd) {
            case AshmemIoctl.SET_NAME:
                return setName(area, req);
            case AshmemIoctl.GET_NAME: {
                byte[] name = area.getName();
                if (req.outSize() < name.length) {
                    // ask for exactly the bytes the driver writes, so EFAULT comes only where it would
                    return IoctlReply.retryOut(arg, name.length);
                }
                return IoctlReply.result(0, name);
            }
            case AshmemIoctl.SET_SIZE:
                synchronized (file) {
                    area.setSize(arg);
                    limits.resized(file.opener().uid(), file.opener().container(), arg - file.accountedSize);
                    file.accountedSize = arg;
                }
                return IoctlReply.result(0);
            case AshmemIoctl.GET_SIZE:
                return IoctlReply.result((int) area.size());
            case AshmemIoctl.SET_PROT_MASK: {
                boolean impliesExec = (arg & Prot.READ) != 0 && callers.readImpliesExec(caller.tid());
                area.setProtMask(arg, impliesExec); // seals writes of a mapped region when PROT_WRITE goes
                return IoctlReply.result(0);
            }
            case AshmemIoctl.GET_PROT_MASK:
                return IoctlReply.result(area.protMask());
            case AshmemIoctl.PIN:
            case AshmemIoctl.UNPIN:
            case AshmemIoctl.GET_PIN_STATUS:
                return pinUnpin(area, cmd, req);
            case AshmemIoctl.PURGE_ALL_CACHES:
                if (!callers.hasSysAdmin(caller.tid())) {
                    throw new ErrnoException(Errno.EPERM, "PURGE_ALL_CACHES without CAP_SYS_ADMIN (tid " + caller.tid() + ")");
                }
                return IoctlReply.result(registry.purgeAllCaches());
            case AshmemIoctl.GET_FILE_ID: {
                long ino = area.fileId(); // EINVAL before any copy, as in the driver
                int width = req.is32bit() ? 4 : 8;
                if (req.outSize() < width) {
                    return IoctlReply.retryOut(arg, width);
                }
                ByteBuffer out = ByteBuffer.allocate(width).order(ByteOrder.nativeOrder());
                if (width == 4) {
                    out.putInt((int) ino);
                } else {
                    out.putLong(ino);
                }
                return IoctlReply.result(0, out.array());
            }
            case AshmemIoctl.ASHMEMD_GET_TOKEN:
                return getToken(file, caller, arg);
            case AshmemIoctl.ASHMEMD_SEEK:
                return seek(area, req);
            default:
                throw new ErrnoException(Errno.ENOTTY, "unknown ioctl " + AshmemIoctl.name(req.cmd()));
        }
    }

    /**
     * SET_NAME reads a C string like strncpy_from_user: first up to the end of the caller's page,
     * and only when no NUL was found there, the full 256 bytes.
     */
    private IoctlReply setName(Area area, IoctlRequest req) throws ErrnoException {
        long arg = req.arg();
        int have = req.inSize();
        if (have == 0) {
            long toPageEnd = pageSize - Long.remainderUnsigned(arg, pageSize);
            return IoctlReply.retryIn(arg, Math.min(Area.NAME_LEN, toPageEnd));
        }
        byte[] buf = new byte[have];
        req.in().duplicate().get(buf);
        int nul = indexOfNul(buf);
        if (nul < 0 && have < Area.NAME_LEN) {
            return IoctlReply.retryIn(arg, Area.NAME_LEN);
        }
        area.setName(buf, have);
        return IoctlReply.result(0);
    }

    private IoctlReply pinUnpin(Area area, int cmd, IoctlRequest req) throws ErrnoException {
        if (req.inSize() < PIN_STRUCT_SIZE) {
            return IoctlReply.retryIn(req.arg(), PIN_STRUCT_SIZE); // the copy comes first: EFAULT beats EINVAL
        }
        ByteBuffer in = req.in().duplicate().order(ByteOrder.nativeOrder());
        long offset = Integer.toUnsignedLong(in.getInt(in.position()));
        long len = Integer.toUnsignedLong(in.getInt(in.position() + 4));
        int r;
        if (cmd == AshmemIoctl.PIN) {
            r = area.pin(offset, len);
        } else if (cmd == AshmemIoctl.UNPIN) {
            r = area.unpin(offset, len);
            afterUnpin.run();
        } else {
            r = area.pinStatus(offset, len);
        }
        return IoctlReply.result(r);
    }

    private IoctlReply getToken(OpenFile file, Caller caller, long arg) throws ErrnoException {
        if (file.writeOnly()) {
            // the kernel refuses any mapping of a file not open for reading
            throw new ErrnoException(Errno.EACCES, "GET_TOKEN on a device fd opened O_WRONLY");
        }
        if ((arg & ~0xffffffffL) != 0) {
            throw new ErrnoException(Errno.EINVAL, "GET_TOKEN argument has bits above 31");
        }
        int prot = (int) (arg & AshmemIoctl.MAP_PROT_MASK);
        boolean shared = (arg & AshmemIoctl.MAP_SHARED) != 0;
        long pages = (arg >>> AshmemIoctl.MAP_PAGES_SHIFT) & AshmemIoctl.MAP_MAX_PAGES;
        if (pages == 0) {
            throw new ErrnoException(Errno.EINVAL, "mmap of length 0");
        }
        file.area().map(pages * pageSize, prot);
        if (!shared) {
            return IoctlReply.result(0); // private mappings are anonymous memory: nothing to hand out
        }
        // the thread's process, from the opener cache: the broker checks its peer against it
        return IoctlReply.result(grants.issue(file, openers.resolve(caller.tid(), caller.uid()).pid(), prot));
    }

    private IoctlReply seek(Area area, IoctlRequest req) throws ErrnoException {
        if (req.inSize() < AshmemIoctl.SEEK_STRUCT_SIZE || req.outSize() < AshmemIoctl.SEEK_STRUCT_SIZE) {
            return IoctlReply.retryInOut(req.arg(), AshmemIoctl.SEEK_STRUCT_SIZE, AshmemIoctl.SEEK_STRUCT_SIZE);
        }
        ByteBuffer in = req.in().duplicate().order(ByteOrder.nativeOrder());
        long offset = in.getLong(in.position());
        int whence = in.getInt(in.position() + 8);
        long pos = area.seek(offset, whence);
        ByteBuffer out = ByteBuffer.allocate(AshmemIoctl.SEEK_STRUCT_SIZE).order(ByteOrder.nativeOrder());
        out.putLong(0, pos).putInt(8, whence);
        return IoctlReply.result(0, out.array());
    }

    private OpenFile file(long fh) throws ErrnoException {
        OpenFile f = files.get(fh);
        if (f == null) {
            throw new ErrnoException(Errno.EBADF, "request for unknown fh " + fh);
        }
        return f;
    }

    private static int indexOfNul(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
