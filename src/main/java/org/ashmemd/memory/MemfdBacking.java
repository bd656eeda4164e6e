package org.ashmemd.memory;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.ashmemd.ashmem.BackingMemory;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.LibC;
import org.ashmemd.sys.Memfd;

/**
 * An area's memory as a host memfd: what clients map (the broker passes the fd), what read()
 * and lseek() use, and what purging punches holes in. The fd is reference counted so that the
 * broker can send it while the area is being released on another thread.
 */
public final class MemfdBacking implements BackingMemory {
    private final int fd;
    private final long inode;
    private final long size;
    /** 1 for the owning area, plus one per in-flight use; the fd closes when it reaches 0. */
    private final AtomicInteger references = new AtomicInteger(1);
    private volatile boolean writesDenied;

    private MemfdBacking(int fd, long inode, long size, boolean writesDenied) {
        this.fd = fd;
        this.inode = inode;
        this.size = size;
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
            return new MemfdBacking(fd, Memfd.inode(fd), size, denyWrites);
        } catch (ErrnoException e) {
            Memfd.close(fd);
            throw e;
        }
    }

    /**
     * Takes over the memfd of an area a previous daemon served (handed over through the fd
     * store): its size and write seal are read from the file itself.
     */
    public static MemfdBacking adopt(int fd) throws ErrnoException {
        return new MemfdBacking(fd, Memfd.inode(fd), Memfd.size(fd),
                (Memfd.seals(fd) & LibC.F_SEAL_FUTURE_WRITE) != 0);
    }

    @Override
    public long inode() {
        return inode;
    }

    public long size() {
        return size;
    }

    @Override
    public boolean punchHole(long offset, long length) {
        if (!retain()) {
            return false;
        }
        try {
            return Memfd.punchHole(fd, offset, length);
        } finally {
            unretain();
        }
    }

    @Override
    public int read(long position, ByteBuffer dst) throws ErrnoException {
        if (!retain()) {
            throw new ErrnoException(Errno.EBADF, "read of a released region");
        }
        try {
            return Memfd.pread(fd, dst, position);
        } finally {
            unretain();
        }
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
                if (!retain()) {
                    throw new ErrnoException(Errno.EBADF, "seek on a released region");
                }
                try {
                    return Memfd.lseek(fd, offset, whence);
                } finally {
                    unretain();
                }
            default:
                throw new ErrnoException(Errno.EINVAL, "bad whence " + whence);
        }
    }

    /** Memory the region holds now, in bytes (0 once released). */
    public long residentBytes() {
        if (!retain()) {
            return 0;
        }
        try {
            return Memfd.allocatedBytes(fd);
        } finally {
            unretain();
        }
    }

    /** Seals off new writable mappings, once the prot mask has lost PROT_WRITE. */
    public void denyFutureWrites() throws ErrnoException {
        if (writesDenied) {
            return;
        }
        if (!retain()) {
            return;
        }
        try {
            Memfd.addSeals(fd, LibC.F_SEAL_FUTURE_WRITE);
            writesDenied = true;
        } finally {
            unretain();
        }
    }

    public boolean writesDenied() {
        return writesDenied;
    }

    /**
     * Takes a reference for a use of {@link #fd()} outside the area's lock; false when the area
     * is already released.
     */
    public boolean retain() {
        for (;;) {
            int r = references.get();
            if (r <= 0) {
                return false;
            }
            if (references.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    public void unretain() {
        if (references.decrementAndGet() == 0) {
            Memfd.close(fd);
        }
    }

    /** The memfd; valid only while a reference is held. */
    public int fd() {
        return fd;
    }

    /** The area is gone: drop its reference (the fd closes once in-flight uses end). */
    @Override
    public void close() {
        unretain();
    }
}
