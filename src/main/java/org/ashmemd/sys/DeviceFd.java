package org.ashmemd.sys;

import java.nio.ByteBuffer;
import org.ashmemd.posix.ErrnoException;

/**
 * A descriptor opened with open(2) and read and written with read(2) and write(2) into direct
 * buffers, with no {@code FileChannel} in between: interrupting a thread blocked in a channel
 * closes the channel, which for /dev/cuse would destroy the device. Reads and writes answer the
 * byte count or {@code -errno}, so that a reader can tell the kernel's routine answers (ENOENT
 * for an interrupted request, EINTR) apart without an exception per request.
 */
public final class DeviceFd {
    private final String path;
    private final int fd;

    private DeviceFd(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens {@code path} read-write, close-on-exec. */
    public static DeviceFd openReadWrite(String path) throws ErrnoException {
        int fd = Native.LIBC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.lastError("open " + path);
        }
        return new DeviceFd(path, fd);
    }

    public String path() {
        return path;
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

    /** close(2); once only. */
    public void close() {
        Native.LIBC.close(fd);
    }
}
