package org.ashmemd.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.ashmemd.posix.ErrnoException;

/**
 * The kernel side of memory pressure monitoring (PSI), kept thin: a PSI trigger file descriptor,
 * and poll over it and the {@link EventFd} that wakes the monitor.
 */
public final class PressureFiles {
    private static final int CAP_SYS_RESOURCE = 24;
    private static final LibC LIBC = LibC.INSTANCE;

    private PressureFiles() {
    }

    /**
     * Opens {@code file} and registers {@code trigger} on it; the returned fd signals POLLPRI on
     * each event and POLLERR once the trigger is gone. One trigger per open file.
     */
    public static int registerTrigger(Path file, String triggerText) throws ErrnoException {
        int fd = LIBC.open(file.toString(), LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Native.lastError("open " + file);
        }
        // The kernel overwrites the last byte written with a NUL: the NUL must be sent.
        byte[] text = (triggerText + "\0").getBytes(StandardCharsets.US_ASCII);
        Pointer buf = Memory.allocateDirect(LibC.runtime(), text.length);
        buf.put(0, text, 0, text.length);
        long n = LIBC.write(fd, buf, text.length);
        if (n < 0) {
            ErrnoException e = Native.lastError("register the trigger '" + triggerText + "' on " + file);
            LIBC.close(fd);
            throw e;
        }
        return fd;
    }

    /** A pollfd array of {@code n} entries in native memory. */
    public static final class PollSet {
        private static final int SIZE = 8; // struct pollfd { int fd; short events; short revents; }
        private final Pointer fds;
        private final int capacity;

        public PollSet(int capacity) {
            this.capacity = capacity;
            fds = Memory.allocateDirect(LibC.runtime(), SIZE * capacity);
        }

        public void set(int i, int fd, short events) {
            if (i >= capacity) {
                throw new IndexOutOfBoundsException(i);
            }
            fds.putInt((long) i * SIZE, fd);
            fds.putShort((long) i * SIZE + 4, events);
            fds.putShort((long) i * SIZE + 6, (short) 0);
        }

        public short revents(int i) {
            return fds.getShort((long) i * SIZE + 6);
        }

        /**
         * poll(2) over the first {@code n} entries; returns the ready count (0 on timeout), or
         * -errno on failure.
         */
        public int poll(int n, int timeoutMillis) {
            int r = LIBC.poll(fds, n, timeoutMillis);
            return r >= 0 ? r : -LibC.errno();
        }
    }

    /** Whether this process holds CAP_SYS_RESOURCE in its effective set; false if unknown. */
    public static boolean hasCapSysResource() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << CAP_SYS_RESOURCE)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: treated as absent
        }
        return false;
    }
}
