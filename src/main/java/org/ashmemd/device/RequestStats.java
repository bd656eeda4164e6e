package org.ashmemd.device;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.ashmemd.cuse.session.RequestObserver;
import org.ashmemd.posix.Errno;

/**
 * Counts requests and errors by {@link DeviceOperation} (each retry round of an ioctl is a
 * request of its own) and passes latencies on to an optional sink (metrics).
 *
 * <p>Bounded whatever clients send: the keys are the daemon's own operations (every unknown
 * ioctl number shares {@link DeviceOperation#UNKNOWN_IOCTL}) and errnos below {@value #ERRNOS},
 * with one more slot per operation for anything else. Counting allocates nothing after the
 * first error of a kind.
 */
public final class RequestStats implements RequestObserver {
    /** Receives each request's operation name, errno (0 on success) and latency. */
    @FunctionalInterface
    public interface LatencySink {
        void record(String operation, int errno, long elapsedNanos);
    }

    /** Errno numbers below this are counted apart; Linux's go up to 133. */
    static final int ERRNOS = 256;
    /** The slot of errnos outside 1..ERRNOS-1 (none the daemon answers). */
    private static final int OTHER_ERRNO = 0;
    static final String OTHER_ERRNO_NAME = "EOTHER";

    private static final DeviceOperation[] OPS = DeviceOperation.values();
    private final LongAdder[] requests = new LongAdder[OPS.length];
    /** [operation * ERRNOS + errno], created on first use. */
    private final AtomicReferenceArray<LongAdder> errors = new AtomicReferenceArray<>(OPS.length * ERRNOS);
    private volatile LatencySink sink;

    public RequestStats() {
        for (int i = 0; i < requests.length; i++) {
            requests[i] = new LongAdder();
        }
    }

    public void setLatencySink(LatencySink sink) {
        this.sink = sink;
    }

    @Override
    public void requestDone(int opcode, int ioctlCmd, int errno, long elapsedNanos) {
        DeviceOperation op = DeviceOperation.of(opcode, ioctlCmd);
        requests[op.ordinal()].increment();
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
        LatencySink s = sink;
        if (s != null) {
            s.record(op.name(), errno, elapsedNanos);
        }
    }

    /** The operation's name as statistics and metrics show it. */
    public static String operationName(int opcode, int ioctlCmd) {
        return DeviceOperation.of(opcode, ioctlCmd).name();
    }

    /** Requests by operation name, for operations seen at least once. */
    public Map<String, Long> requests() {
        Map<String, Long> out = new TreeMap<>();
        for (DeviceOperation op : OPS) {
            long n = requests[op.ordinal()].sum();
            if (n > 0) {
                out.put(op.name(), n);
            }
        }
        return out;
    }

    /** Errors by "OPERATION ERRNO" (e.g. "SET_SIZE EINVAL"), for those seen at least once. */
    public Map<String, Long> errors() {
        Map<String, Long> out = new TreeMap<>();
        for (int slot = 0; slot < errors.length(); slot++) {
            LongAdder a = errors.get(slot);
            if (a != null) {
                int e = slot % ERRNOS;
                out.put(OPS[slot / ERRNOS].name() + " " + (e == OTHER_ERRNO ? OTHER_ERRNO_NAME : Errno.nameOf(e)),
                        a.sum());
            }
        }
        return out;
    }
}
