package org.ashmemd.sys;

import java.nio.ByteBuffer;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.ashmemd.posix.ErrnoException;

/**
 * A descriptor opened with open(2) (or inherited from a previous server) and read and written
 * with read(2) and write(2) into direct buffers, with no {@code FileChannel} in between:
 * interrupting a thread blocked in a channel closes the channel, which for /dev/cuse would
 * destroy the device. Reads and writes answer the byte count or {@code -errno}, so that a reader
 * can tell the kernel's routine answers (ENOENT for an interrupted request, EINTR) apart without
 * an exception per request.
 *
 * <p>The descriptor is non-blocking and readers wait for it in poll(2) together with a stop
 * eventfd: a thread blocked in read(2) on /dev/cuse can only be woken by aborting the
 * connection, and a hand-over to the next server must keep it.
 */
public final class DeviceFd {
    private final String path;
    private final int fd;
    private final int stopFd;

    private DeviceFd(String path, int fd) throws ErrnoException {
        if (!Descriptors.setNonBlocking(fd)) {
            throw Native.lastError("fcntl O_NONBLOCK " + path);
        }
        this.path = path;
        this.fd = fd;
        this.stopFd = PressureFiles.newEventFd();
    }

    /** Opens {@code path} read-write, close-on-exec. */
    public static DeviceFd openReadWrite(String path) throws ErrnoException {
        int fd = Native.LIBC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.lastError("open " + path);
        }
        try {
            return new DeviceFd(path, fd);
        } catch (ErrnoException e) {
            Native.LIBC.close(fd);
            throw e;
        }
    }

    /** Takes an open descriptor of {@code path} handed over by a previous server. */
    public static DeviceFd adopt(String path, int fd) throws ErrnoException {
        Descriptors.setCloseOnExec(fd);
        return new DeviceFd(path, fd);
    }

    public String path() {
        return path;
    }

    /** The descriptor's number, to park it where it outlives this process. */
    public int number() {
        return fd;
    }

    /** read(2) into the remaining bytes of a direct buffer (its position is left alone): the count, or -errno. */
    public long read(ByteBuffer direct) {
        long n = Native.LIBC.read(fd, Native.pointer(direct), direct.remaining());
        return n >= 0 ? n : -LibC.errno();
    }

    /** write(2) of the first {@code length} bytes of a direct buffer: the count written, or -errno. */
    public long write(ByteBuffer direct, int length) {
        long n = Native.LIBC.write(fd, Native.pointer(direct), length);
        return n >= 0 ? n : -LibC.errno();
    }

    /** Makes every {@link Waiter} return {@link Waiter#STOPPED} from now on. */
    public void stopWaiters() {
        PressureFiles.signal(stopFd);
    }

    /** A reader's own pollfd pair (the device and the stop eventfd) in native memory. */
    public Waiter waiter() {
        return new Waiter();
    }

    /** close(2) of the device and of the stop eventfd; once only. */
    public void close() {
        Native.LIBC.close(fd);
        Native.LIBC.close(stopFd);
    }

    /** Waits in poll(2) until the device is readable or {@link #stopWaiters()} was called; one thread's. */
    public final class Waiter {
        /** {@link #await()}: the device has something to read (a read may still find EAGAIN). */
        public static final int READABLE = 1;
        /** {@link #await()}: {@link #stopWaiters()} was called. */
        public static final int STOPPED = 0;
        private static final int SIZE = 8; // struct pollfd { int fd; short events; short revents; }
        private final Pointer fds = Memory.allocateDirect(Native.RUNTIME, 2 * SIZE);

        private Waiter() {
        }

        /** {@link #READABLE}, {@link #STOPPED}, or -errno of poll(2) (EINTR among them). */
        public int await() {
            fds.putInt(0, fd);
            fds.putShort(4, LibC.POLLIN);
            fds.putShort(6, (short) 0);
            fds.putInt(SIZE, stopFd);
            fds.putShort(SIZE + 4, LibC.POLLIN);
            fds.putShort(SIZE + 6, (short) 0);
            int r = Native.LIBC.poll(fds, 2, -1);
            if (r < 0) {
                return -LibC.errno();
            }
            if (fds.getShort(SIZE + 6) != 0) {
                return STOPPED;
            }
            // POLLERR/POLLHUP on the device: the read that follows says why
            return READABLE;
        }
    }
}
