package org.ashmemd.sys;

import java.nio.ByteBuffer;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/** Anonymous shared memory files (memfd_create) and the calls made on them. */
public final class Memfd {
    /** memfd_create refuses names that, with their NUL, exceed NAME_MAX minus the "memfd:" prefix. */
    public static final int MAX_NAME_BYTES = 248;

    private Memfd() {
    }

    /**
     * Creates a sealable, close-on-exec memfd of {@code size} bytes, mode 0777 as every memfd is
     * born (see {@link #restrictToOwner}). Size changes are sealed at once: a client that holds
     * the fd must not be able to shrink the memory under other mappers.
     */
    public static int create(byte[] name, long size) throws ErrnoException {
        int n = 0;
        while (n < name.length && n < MAX_NAME_BYTES && name[n] != 0) {
            n++;
        }
        byte[] cname = new byte[n + 1]; // NUL-terminated; a NUL inside the name would cut it anyway
        System.arraycopy(name, 0, cname, 0, n);
        int fd = Native.LIBC.memfd_create(cname, LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        if (fd < 0) {
            throw Native.lastError("memfd_create");
        }
        try {
            if (Native.LIBC.ftruncate(fd, size) != 0) {
                throw Native.lastError("ftruncate to " + size);
            }
            addSeals(fd, LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW);
            return fd;
        } catch (ErrnoException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    /** Mode 0600: memfds are born 0777, and only the owner (or root) may then reopen one through procfs. */
    public static void restrictToOwner(int fd) throws ErrnoException {
        if (Native.LIBC.fchmod(fd, 0600) != 0) {
            throw Native.lastError("fchmod");
        }
    }

    public static void addSeals(int fd, int seals) throws ErrnoException {
        if (Native.LIBC.fcntl(fd, LibC.F_ADD_SEALS, seals) != 0) {
            throw Native.lastError("F_ADD_SEALS");
        }
    }

    public static int seals(int fd) throws ErrnoException {
        int seals = Native.LIBC.fcntl(fd, LibC.F_GET_SEALS, 0);
        if (seals < 0) {
            throw Native.lastError("F_GET_SEALS");
        }
        return seals;
    }

    /** Frees the pages of a range; false when the kernel refused (e.g. a write seal). */
    public static boolean punchHole(int fd, long offset, long length) {
        return Native.LIBC.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, length) == 0;
    }

    /** pread into the remaining bytes of a direct buffer; advances its position. */
    public static int pread(int fd, ByteBuffer dst, long position) throws ErrnoException {
        int want = dst.remaining();
        if (want == 0) {
            return 0;
        }
        long n = Native.LIBC.pread(fd, Native.pointer(dst), want, position);
        if (n < 0) {
            throw Native.lastError("pread");
        }
        dst.position(dst.position() + (int) n);
        return (int) n;
    }

    public static long lseek(int fd, long offset, int whence) throws ErrnoException {
        long r = Native.LIBC.lseek(fd, offset, whence);
        if (r < 0) {
            throw Native.lastError("lseek");
        }
        return r;
    }

    public static long inode(int fd) throws ErrnoException {
        try {
            return Native.POSIX.fstat(fd).ino();
        } catch (RuntimeException e) {
            throw new ErrnoException(Errno.EBADF, "fstat of fd " + fd + " failed: " + e.getMessage());
        }
    }

    /** Bytes of memory the file holds now (allocated blocks): what purging gives back. */
    public static long allocatedBytes(int fd) {
        try {
            return Native.POSIX.fstat(fd).blocks() * 512L;
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * A new read-only open file description of the same memory, through procfs: mapping it
     * writable and shared fails in the kernel with EACCES, and it cannot add seals.
     */
    public static int reopenReadOnly(int fd) throws ErrnoException {
        int ro = Native.LIBC.open("/proc/self/fd/" + fd, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (ro < 0) {
            throw Native.lastError("reopen read-only");
        }
        return ro;
    }

    /** The file's size in bytes. */
    public static long size(int fd) throws ErrnoException {
        try {
            return Native.POSIX.fstat(fd).st_size();
        } catch (RuntimeException e) {
            throw new ErrnoException(Errno.EBADF, "fstat of fd " + fd + " failed: " + e.getMessage());
        }
    }

    /**
     * Maps {@code length} bytes of the memfd shared and writable: stores into the buffer are
     * stores into the file's pages, which outlive this process while another holds the fd.
     */
    public static java.nio.MappedByteBuffer mapShared(int fd, long length) throws ErrnoException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(java.nio.file.Path.of("/proc/self/fd/" + fd),
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            return ch.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, length);
        } catch (java.io.IOException e) {
            throw new ErrnoException(Errno.EIO, "mapping memfd " + fd + ": " + e.getMessage());
        }
    }

    public static void close(int fd) {
        Native.LIBC.close(fd);
    }
}
