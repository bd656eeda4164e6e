package org.ashmemd.daemon;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.ashmemd.cuse.session.RequestObserver;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.device.AshmemIoctl;
import org.ashmemd.posix.Errno;

/**
 * Counts requests and errors by operation (an opcode, or for IOCTL the ioctl's name; each retry
 * round is a request of its own) and passes latencies on to an optional sink (metrics).
 */
public final class RequestStats implements RequestObserver {
    /** Receives each request's operation name, errno (0 on success) and latency. */
    @FunctionalInterface
    public interface LatencySink {
        void record(String operation, int errno, long elapsedNanos);
    }

    private final ConcurrentHashMap<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> errors = new ConcurrentHashMap<>();
    private volatile LatencySink sink;

    public void setLatencySink(LatencySink sink) {
        this.sink = sink;
    }

    @Override
    public void requestDone(int opcode, int ioctlCmd, int errno, long elapsedNanos) {
        String op = operationName(opcode, ioctlCmd);
        requests.computeIfAbsent(op, k -> new LongAdder()).increment();
        if (errno != 0) {
            errors.computeIfAbsent(op + " " + Errno.nameOf(errno), k -> new LongAdder()).increment();
        }
        LatencySink s = sink;
        if (s != null) {
            s.record(op, errno, elapsedNanos);
        }
    }

    public static String operationName(int opcode, int ioctlCmd) {
        Opcode o = Opcode.of(opcode);
        if (o == null) {
            return "UNKNOWN";
        }
        if (o == Opcode.IOCTL) {
            return AshmemIoctl.name(ioctlCmd);
        }
        return o.name();
    }

    public Map<String, Long> requests() {
        return snapshot(requests);
    }

    public Map<String, Long> errors() {
        return snapshot(errors);
    }

    private static Map<String, Long> snapshot(ConcurrentHashMap<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
