package org.ashmemd.sys;

import java.nio.ByteBuffer;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/**
 * A descriptor opened with open(2) (or inherited from a previous server) and read and written
 * with read(2) and write(2) into direct buffers, with no {@code FileChannel} in between:
 * interrupting a thread blocked in a channel closes the channel, which for /dev/cuse would
 * destroy the device. Reads and writes answer the byte count or {@code -errno}, so that a reader
 * can tell the kernel's routine answers (ENOENT for an interrupted request, EINTR) apart without
 * an exception per request.
 *
 * <p>The descriptor is non-blocking and each reader waits for it in an epoll instance of its own
 * together with a stop eventfd: a thread blocked in read(2) on /dev/cuse can only be woken by
 * aborting the connection, and a hand-over to the next server must keep it. The device is
 * watched with EPOLLEXCLUSIVE, so a request wakes one waiting reader, as a blocking read(2)
 * would, instead of every reader (each of which would then find EAGAIN, a wasted wake-up and
 * two system calls per reader and request).
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
        this.stopFd = EventFd.create();
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

    /** read(2) into a whole buffer, from index 0 (its position and limit are left alone): the count, or -errno. */
    public long read(IoBuffer into) {
        long n = Native.LIBC.read(fd, into.base, into.capacity());
        return n >= 0 ? n : -LibC.errno();
    }

    /**
     * {@link #read(IoBuffer)} on the chance that a request is there already: the count, or -1
     * when nothing was read, without the extra call for errno (EAGAIN, or an error that the wait
     * and the next read report again).
     */
    public long readIfReady(IoBuffer into) {
        long n = Native.LIBC.read(fd, into.base, into.capacity());
        return n >= 0 ? n : -1;
    }

    /** write(2) of the first {@code length} bytes of a buffer: the count written, or -errno. */
    public long write(IoBuffer from, int length) {
        long n = Native.LIBC.write(fd, from.base, length);
        return n >= 0 ? n : -LibC.errno();
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
        EventFd.signal(stopFd);
    }

    /** A reader's own epoll instance (the device and the stop eventfd); close it when done. */
    public Waiter waiter() throws ErrnoException {
        return new Waiter();
    }

    /** close(2) of the device and of the stop eventfd; once only. */
    public void close() {
        Native.LIBC.close(fd);
        Native.LIBC.close(stopFd);
    }

    /** Waits in epoll_wait(2) until the device is readable or {@link #stopWaiters()} was called; one thread's. */
    public final class Waiter implements AutoCloseable {
        /** {@link #await()}: the device has something to read (a read may still find EAGAIN). */
        public static final int READABLE = 1;
        /** {@link #await()}: {@link #stopWaiters()} was called. */
        public static final int STOPPED = 0;
        private static final long DEVICE = 0;
        private static final long STOP = 1;
        private final Epoll epoll = new Epoll(2);
        private final boolean alwaysReadable;

        private Waiter() throws ErrnoException {
            try {
                // EPOLLEXCLUSIVE since Linux 4.5; without it every reader wakes, which only costs time
                int r = epoll.add(fd, Epoll.IN | Epoll.EXCLUSIVE, DEVICE);
                if (r == -Errno.EINVAL.number()) {
                    r = epoll.add(fd, Epoll.IN, DEVICE);
                }
                // epoll refuses what is always readable (a regular file): then so is the device here
                alwaysReadable = r == -Errno.EPERM.number();
                if (r != 0 && !alwaysReadable) {
                    throw new ErrnoException(-r, "epoll_ctl " + path + ": " + Errno.nameOf(-r));
                }
                r = epoll.add(stopFd, Epoll.IN, STOP);
                if (r != 0) {
                    throw new ErrnoException(-r, "epoll_ctl eventfd: " + Errno.nameOf(-r));
                }
            } catch (ErrnoException e) {
                epoll.close();
                throw e;
            }
        }

        /** {@link #READABLE}, {@link #STOPPED}, or -errno of epoll_wait(2) (EINTR among them). */
        public int await() {
            int n = epoll.await(alwaysReadable ? 0 : -1);
            if (n < 0) {
                return n;
            }
            for (int i = 0; i < n; i++) {
                if (epoll.tag(i) == STOP) {
                    return STOPPED;
                }
            }
            // EPOLLERR/EPOLLHUP on the device: the read that follows says why
            return READABLE;
        }

        /** Closes the epoll instance (the device and the eventfd stay open). */
        @Override
        public void close() {
            epoll.close();
        }
    }
}
