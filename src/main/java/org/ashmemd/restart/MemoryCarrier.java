package org.ashmemd.restart;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.FdPassing;
import org.ashmemd.sys.UnixSockets;

/**
 * Where the regions' memfds wait for a next daemon: the queue of a Unix datagram socket pair. A
 * descriptor sent and not yet received is held by the kernel, so parking a region's memory is
 * one sendmsg(2) of the daemon's own, and the fd store holds one descriptor, the end whose queue
 * it is (the queue stays when the daemon's end closes), not one descriptor per region. systemd adds each stored descriptor by comparing it with every one it holds already,
 * and serves its notify socket before D-Bus: a descriptor per region made every new region cost
 * it work in proportion to all regions, and clients that create regions quickly kept it from
 * answering systemctl at all.
 *
 * <p>A message is the regions' ids (64-bit, little-endian) with their memfds attached in the same
 * order. A queue cannot drop one message: a released region's memfd stays queued until the live
 * ones are moved to a new pair ({@link RestartState} does that when the queue is full or holds
 * too much released memory).
 */
final class MemoryCarrier implements AutoCloseable {
    private static final int ID_BYTES = 8;

    private final int[] ends;
    private final ByteBuffer one = ByteBuffer.allocateDirect(ID_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer many = ByteBuffer.allocateDirect(ID_BYTES * FdPassing.MAX_FDS).order(ByteOrder.LITTLE_ENDIAN);
    private int queued;

    private MemoryCarrier(int[] ends) {
        this.ends = ends;
    }

    static MemoryCarrier create() throws ErrnoException {
        return new MemoryCarrier(UnixSockets.datagramPair());
    }

    /** The end whose queue holds the memfds: the one for the store. */
    int queueEnd() {
        return ends[1];
    }

    /** The memfds queued (released regions' included). */
    synchronized int queued() {
        return queued;
    }

    /** Queues region {@code id}'s memfd: false when the queue is full. A region's first mapping waits for it. */
    synchronized boolean park(long id, int fd) throws ErrnoException {
        one.clear();
        one.putLong(id).flip();
        try {
            FdPassing.send(ends[0], one, fd); // the per-thread message, not one built per call
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EAGAIN.number()) {
                return false;
            }
            throw e;
        }
        queued++;
        return true;
    }

    /**
     * Queues the memfds of the first {@code count} regions of {@code ids}, up to {@link
     * FdPassing#MAX_FDS} a message: false when the queue filled first (the messages sent stay
     * queued).
     */
    synchronized boolean parkAll(long[] ids, int[] fds, int count) throws ErrnoException {
        for (int i = 0; i < count; i += FdPassing.MAX_FDS) {
            int n = Math.min(FdPassing.MAX_FDS, count - i);
            many.clear();
            for (int k = 0; k < n; k++) {
                many.putLong(ids[i + k]);
            }
            many.flip();
            int[] batch = new int[n];
            System.arraycopy(fds, i, batch, 0, n);
            if (!FdPassing.sendAll(ends[0], many, batch)) {
                return false;
            }
            queued += n;
        }
        return true;
    }

    /** What {@link #drain} found in one message: regions {@code ids[i]}, whose memfds {@code fds[i]} the daemon owns. */
    @FunctionalInterface
    interface Sink {
        void take(long[] ids, int[] fds) throws ErrnoException;
    }

    /**
     * Receives everything queued on {@code end} (the queue end of a pair an earlier daemon
     * parked), passing each region's memfd to {@code sink} in the
     * order parked. Returns the number of malformed messages skipped (their descriptors closed).
     */
    static int drain(int end, Sink sink) throws ErrnoException {
        ByteBuffer data = ByteBuffer.allocateDirect(ID_BYTES * FdPassing.MAX_FDS).order(ByteOrder.LITTLE_ENDIAN);
        int malformed = 0;
        for (;;) {
            data.clear();
            FdPassing.Received r = FdPassing.receiveNow(end, data, FdPassing.MAX_FDS);
            if (r == null) {
                return malformed;
            }
            int[] fds = r.fds();
            if (r.bytes() != ID_BYTES * fds.length || r.controlTruncated() || fds.length == 0) {
                for (int fd : fds) {
                    Descriptors.close(fd);
                }
                if (r.bytes() == 0 && fds.length == 0) {
                    return malformed; // an end whose peer is gone reads as the end of the queue
                }
                malformed++;
                continue;
            }
            data.flip();
            long[] ids = new long[fds.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = data.getLong();
            }
            sink.take(ids, fds);
        }
    }

    @Override
    public void close() {
        Descriptors.close(ends[0]);
        Descriptors.close(ends[1]);
    }
}
