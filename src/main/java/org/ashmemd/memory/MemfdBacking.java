package org.ashmemd.memory;

import java.nio.ByteBuffer;
import org.ashmemd.ashmem.BackingMemory;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.ashmemd.sys.LibC;
import org.ashmemd.sys.Memfd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An area's memory as a host memfd: what clients map (the broker passes the fd), what read()
 * and lseek() use, and what purging punches holes in. The area closes it once its last user is
 * done (see {@link BackingMemory}), so the fd is valid in every call.
 */
public final class MemfdBacking implements BackingMemory {
    private static final Logger log = LoggerFactory.getLogger(MemfdBacking.class);

    private final int fd;
    /** 0 until first asked for: the fstat(2) (jnr-posix's, with a struct per call) stays off the first mmap. */
    private volatile long inode;
    private volatile boolean writesDenied;
    /** Mode 0600 set (see {@link #reopenReadOnly()}). */
    private volatile boolean ownerOnly;

    private MemfdBacking(int fd, boolean writesDenied) {
        this.fd = fd;
        this.writesDenied = writesDenied;
    }

    /**
     * Creates the memory of an area. {@code name} is what /proc/PID/maps shows after "memfd:".
     * Without PROT_WRITE in the mask, future writable mappings are sealed off in the kernel.
     */
    public static MemfdBacking create(byte[] name, long size, boolean denyWrites) throws ErrnoException {
        int fd = Memfd.create(name, size);
        try {
            if (denyWrites) {
                Memfd.addSeals(fd, LibC.F_SEAL_FUTURE_WRITE);
            }
            return new MemfdBacking(fd, denyWrites);
        } catch (ErrnoException e) {
            Memfd.close(fd);
            throw e;
        }
    }

    /**
     * Takes over the memfd of an area a previous daemon served (handed over through the fd
     * store): its write seal is read from the file itself.
     */
    public static MemfdBacking adopt(int fd) throws ErrnoException {
        MemfdBacking b = new MemfdBacking(fd, (Memfd.seals(fd) & LibC.F_SEAL_FUTURE_WRITE) != 0);
        b.inode = Memfd.inode(fd); // a handed-over fd that is not a file fails here, not later
        return b;
    }

    @Override
    public long inode() {
        long ino = inode;
        if (ino == 0) {
            try {
                ino = Memfd.inode(fd);
            } catch (ErrnoException e) {
                // the fd is open for as long as the area uses it (see BackingMemory): not reached
                log.warn("memfd {}: {}", fd, e.getMessage());
                return -1;
            }
            inode = ino;
        }
        return ino;
    }

    @Override
    public int fd() {
        return fd;
    }

    /**
     * Memfds are born mode 0777, so a holder of a read-only descriptor could reopen it read-write
     * through /proc/self/fd. Owner-only mode closes that for every non-root client; it is set
     * before the first read-only descriptor leaves, not at creation, where it would cost every
     * region's first mmap a system call that only read-only openers need.
     */
    @Override
    public int reopenReadOnly() throws ErrnoException {
        if (!ownerOnly) {
            Memfd.restrictToOwner(fd);
            ownerOnly = true;
        }
        return Memfd.reopenReadOnly(fd);
    }

    @Override
    public boolean punchHole(long offset, long length) {
        return Memfd.punchHole(fd, offset, length);
    }

    @Override
    public int read(long position, ByteBuffer dst) throws ErrnoException {
        return Memfd.pread(fd, dst, position);
    }

    @Override
    public long seek(long position, long offset, int whence) throws ErrnoException {
        switch (whence) {
            case LibC.SEEK_CUR: {
                // the daemon's own fd position is not the client's; resolve SEEK_CUR here
                long target;
                try {
                    target = Math.addExact(position, offset);
                } catch (ArithmeticException e) {
                    throw new ErrnoException(Errno.EINVAL, "SEEK_CUR overflows");
                }
                if (target < 0) {
                    throw new ErrnoException(Errno.EINVAL, "SEEK_CUR to a negative offset");
                }
                return target;
            }
            case LibC.SEEK_SET:
            case LibC.SEEK_END:
            case LibC.SEEK_DATA:
            case LibC.SEEK_HOLE:
                return Memfd.lseek(fd, offset, whence);
            default:
                throw new ErrnoException(Errno.EINVAL, "bad whence " + whence);
        }
    }

    @Override
    public long residentBytes() {
        return Memfd.allocatedBytes(fd);
    }

    /**
     * Seals off new writable mappings once the mask has lost PROT_WRITE. A client holding the fd
     * may have sealed the seals already; the broker then still hands out read-only fds only.
     */
    @Override
    public void protMaskChanged(int protMask) {
        if ((protMask & Prot.WRITE) != 0 || writesDenied) {
            return;
        }
        try {
            Memfd.addSeals(fd, LibC.F_SEAL_FUTURE_WRITE);
            writesDenied = true;
        } catch (ErrnoException e) {
            log.warn("memfd inode {}: could not seal writes after PROT_WRITE left the mask: {}", inode,
                    e.getMessage());
        }
    }

    /** Whether writable mappings are sealed off. */
    public boolean writesDenied() {
        return writesDenied;
    }

    /** The area is gone and nothing uses the memory any more: close the fd. */
    @Override
    public void close() {
        Memfd.close(fd);
    }
}
