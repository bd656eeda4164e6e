package org.ashmemd.ashmem;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/**
 * In-memory backing: a byte array (allocated only for small sizes; larger ones read as zeroes),
 * every hole punch recorded, and hooks to make punches fail or block.
 */
final class FakeBacking implements BackingMemory {
    static final int SEEK_SET = 0;
    static final int SEEK_CUR = 1;
    static final int SEEK_END = 2;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    final String name;
    final long size;
    final int createMask;
    final long inode;
    final byte[] data;
    /** Successful punches, {offset, length}, in order. */
    final List<long[]> punched = new ArrayList<>();
    final List<Integer> maskChanges = new ArrayList<>();
    volatile boolean sealed;
    /** What {@link #residentBytes()} reports. */
    volatile long resident;
    private final AtomicInteger closes = new AtomicInteger();
    volatile long lastSeekPosition = -1;
    /** When set, punchHole announces itself on {@code punchEntered} and waits for the gate. */
    volatile CountDownLatch punchGate;
    final CountDownLatch punchEntered = new CountDownLatch(1);
    volatile CountDownLatch readGate;
    final CountDownLatch readEntered = new CountDownLatch(1);

    FakeBacking(String name, long size, int createMask, long inode) {
        this.name = name;
        this.size = size;
        this.createMask = createMask;
        this.inode = inode;
        this.data = size <= (1 << 20) ? new byte[(int) size] : null;
    }

    void fill(int offset, byte[] bytes) {
        System.arraycopy(bytes, 0, data, offset, bytes.length);
    }

    @Override
    public long inode() {
        return inode;
    }

    /** No file behind it: the fake never reaches the broker. */
    @Override
    public int fd() {
        return -1;
    }

    @Override
    public int reopenReadOnly() {
        return -1;
    }

    @Override
    public long residentBytes() {
        if (closes.get() > 0) {
            throw new AssertionError("residentBytes on closed backing " + name);
        }
        return resident;
    }

    @Override
    public boolean punchHole(long offset, long length) {
        if (closes.get() > 0) {
            throw new AssertionError("punch on closed backing " + name);
        }
        CountDownLatch gate = punchGate;
        if (gate != null) {
            punchEntered.countDown();
            await(gate);
        }
        if (sealed) {
            return false;
        }
        synchronized (punched) {
            punched.add(new long[] {offset, length});
        }
        if (data != null) {
            long end = Math.min(size, offset + length);
            for (long i = offset; i < end; i++) {
                data[(int) i] = 0;
            }
        }
        return true;
    }

    @Override
    public int read(long position, ByteBuffer dst) throws ErrnoException {
        if (closes.get() > 0) {
            throw new AssertionError("read on closed backing " + name);
        }
        CountDownLatch gate = readGate;
        if (gate != null) {
            readEntered.countDown();
            await(gate);
        }
        if (position < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative position");
        }
        if (position >= size) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), size - position);
        for (int i = 0; i < n; i++) {
            dst.put(data != null ? data[(int) position + i] : 0);
        }
        return n;
    }

    @Override
    public long seek(long position, long offset, int whence) throws ErrnoException {
        lastSeekPosition = position;
        long target;
        switch (whence) {
            case SEEK_SET -> target = offset;
            case SEEK_CUR -> target = position + offset;
            case SEEK_END -> target = size + offset;
            case SEEK_DATA -> {
                if (offset >= size) {
                    throw new ErrnoException(Errno.ENXIO, "SEEK_DATA past the end");
                }
                target = offset;
            }
            case SEEK_HOLE -> {
                if (offset >= size) {
                    throw new ErrnoException(Errno.ENXIO, "SEEK_HOLE past the end");
                }
                target = size;
            }
            default -> throw new ErrnoException(Errno.EINVAL, "bad whence");
        }
        if (target < 0) {
            throw new ErrnoException(Errno.EINVAL, "negative position");
        }
        return target;
    }

    @Override
    public void protMaskChanged(int protMask) {
        maskChanges.add(protMask);
    }

    @Override
    public void close() {
        closes.incrementAndGet();
    }

    int closeCount() {
        return closes.get();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
