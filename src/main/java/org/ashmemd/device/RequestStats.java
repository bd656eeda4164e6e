package org.ashmemd.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.ashmemd.cuse.session.RequestObserver;
import org.ashmemd.posix.Errno;

/**
 * The one count of device requests: by {@link DeviceOperation} (each retry round of an ioctl is
 * a request of its own), with a latency histogram and errors by errno. The status, the metrics
 * and the logs all read {@link #snapshot()}.
 *
 * <p>Bounded whatever clients send: the keys are the daemon's own operations (every unknown
 * ioctl number shares {@link DeviceOperation#UNKNOWN_IOCTL}) and errnos below {@value #ERRNOS},
 * with one more slot per operation for anything else. On every request's path: after the first
 * error of a kind, counting is a scan of the 20 bounds and two or three {@link
 * LongAdder} adds, with no allocation and no atomic that all reader threads would fight over.
 */
public final class RequestStats implements RequestObserver {
    /**
     * Histogram bounds: 5 µs (a cached answer) to 100 ms (a stalled purge or a huge read), then
     * up to 1 s, the longest a caller may wait for any request, and on to 10 s (a starved or
     * stalled machine).
     */
    public static final long[] BOUNDS_NANOS = {
        5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000, 100_000_000,
        250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000L, 5_000_000_000L, 10_000_000_000L,
    };
    /** Errno numbers below this are counted apart; Linux's go up to 133. */
    static final int ERRNOS = 256;
    /** The slot of errnos outside 1..ERRNOS-1 (none the daemon answers). */
    private static final int OTHER_ERRNO = 0;
    static final String OTHER_ERRNO_NAME = "EOTHER";

    private static final DeviceOperation[] OPS = DeviceOperation.values();

    /** Requests of one operation: not cumulative, bucket i counts latencies in (bound i-1, bound i]. */
    private static final class Counters {
        final LongAdder[] buckets = new LongAdder[BOUNDS_NANOS.length + 1];
        final LongAdder sumNanos = new LongAdder();

        Counters() {
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }
    }

    private final Counters[] byOperation = new Counters[OPS.length];
    /** [operation * ERRNOS + errno], created on first use. */
    private final AtomicReferenceArray<LongAdder> errors = new AtomicReferenceArray<>(OPS.length * ERRNOS);

    public RequestStats() {
        for (int i = 0; i < byOperation.length; i++) {
            byOperation[i] = new Counters();
        }
    }

    @Override
    public void requestDone(int opcode, int ioctlCmd, int errno, long elapsedNanos) {
        DeviceOperation op = DeviceOperation.of(opcode, ioctlCmd);
        Counters c = byOperation[op.ordinal()];
        int i = 0;
        while (i < BOUNDS_NANOS.length && elapsedNanos > BOUNDS_NANOS[i]) {
            i++;
        }
        c.buckets[i].increment();
        c.sumNanos.add(Math.max(0, elapsedNanos));
        if (errno != 0) {
            int e = Math.abs(errno);
            int slot = op.ordinal() * ERRNOS + (e < ERRNOS ? e : OTHER_ERRNO);
            LongAdder a = errors.get(slot);
            if (a == null) {
                errors.compareAndSet(slot, null, new LongAdder());
                a = errors.get(slot);
            }
            a.increment();
        }
    }

    /**
     * One operation's requests so far.
     *
     * @param buckets requests by latency, not cumulative: bucket i counts those in (bound i-1,
     *     bound i] of {@link #BOUNDS_NANOS}, the last those over its last bound
     * @param errors requests answered with an error, by errno name (e.g. "EINVAL")
     */
    public record Operation(DeviceOperation operation, long requests, long[] buckets, long sumNanos,
            Map<String, Long> errors) {
    }

    /** Every operation seen at least once, in {@link DeviceOperation} order. */
    public List<Operation> snapshot() {
        List<Operation> out = new ArrayList<>();
        for (DeviceOperation op : OPS) {
            Counters c = byOperation[op.ordinal()];
            long[] buckets = new long[c.buckets.length];
            long requests = 0;
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = c.buckets[i].sum();
                requests += buckets[i];
            }
            if (requests == 0) {
                continue;
            }
            Map<String, Long> errs = new TreeMap<>();
            for (int e = 0; e < ERRNOS; e++) {
                LongAdder a = errors.get(op.ordinal() * ERRNOS + e);
                if (a != null) {
                    errs.put(e == OTHER_ERRNO ? OTHER_ERRNO_NAME : Errno.nameOf(e), a.sum());
                }
            }
            out.add(new Operation(op, requests, buckets, c.sumNanos.sum(), errs));
        }
        return out;
    }

    /** Requests by operation name, for operations seen at least once: the status's view. */
    public static Map<String, Long> requests(List<Operation> snapshot) {
        Map<String, Long> out = new TreeMap<>();
        for (Operation o : snapshot) {
            out.put(o.operation().name(), o.requests());
        }
        return out;
    }

    /** Errors by "OPERATION ERRNO" (e.g. "SET_SIZE EINVAL"): the status's view. */
    public static Map<String, Long> errors(List<Operation> snapshot) {
        Map<String, Long> out = new TreeMap<>();
        for (Operation o : snapshot) {
            o.errors().forEach((errno, n) -> out.put(o.operation().name() + " " + errno, n));
        }
        return out;
    }

    /** Requests by operation name: {@code requests(snapshot())}. */
    public Map<String, Long> requests() {
        return requests(snapshot());
    }

    /** Errors by "OPERATION ERRNO": {@code errors(snapshot())}. */
    public Map<String, Long> errors() {
        return errors(snapshot());
    }
}
