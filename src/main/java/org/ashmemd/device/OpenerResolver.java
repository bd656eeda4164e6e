package org.ashmemd.device;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.ashmemd.control.Opener;
import org.ashmemd.sys.ProcFs;

/**
 * Learns who a calling thread is (process, names, cgroup, container) from /proc, with a small
 * cache: the threads that open regions are few and long-lived, and a CUSE open must stay cheap.
 * Entries expire quickly so that a reused thread id is looked up afresh.
 */
public final class OpenerResolver {
    private static final int CAPACITY = 4096;

    private final ProcFs proc;
    private final IntFunction<String> containerOf;
    private final LongSupplier clock;
    private final long ttlNanos;
    private final Map<Long, Cached> cache = new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Cached> eldest) {
            // bounded, and what is gone leaves: the least recently used entry goes once expired
            return size() > CAPACITY || clock.getAsLong() - eldest.getValue().atNanos() >= ttlNanos;
        }
    };

    private record Cached(Opener opener, long atNanos) {
    }

    /** @param containerOf a process's container name ("" for the host) */
    public OpenerResolver(ProcFs proc, IntFunction<String> containerOf, LongSupplier clock, long ttlNanos) {
        this.proc = proc;
        this.containerOf = containerOf;
        this.clock = clock;
        this.ttlNanos = ttlNanos;
    }

    /** Who thread {@code tid} (uid as in the request header) is; never fails. */
    public Opener resolve(int tid, int uid) {
        if (tid <= 0) {
            return new Opener(-1, tid, "?", "?", uid, "", "");
        }
        long key = ((long) tid << 32) | (uid & 0xffffffffL);
        long now = clock.getAsLong();
        synchronized (cache) {
            Cached c = cache.get(key);
            if (c != null && now - c.atNanos() < ttlNanos) {
                return c.opener();
            }
        }
        int pid = proc.tgid(tid);
        Opener o;
        if (pid <= 0) {
            o = new Opener(-1, tid, "?", "?", uid, "", "");
        } else {
            String cgroup = proc.cgroup(pid);
            o = new Opener(pid, tid, proc.comm(pid), proc.threadComm(pid, tid), uid, cgroup,
                    containerOf.apply(pid));
        }
        synchronized (cache) {
            cache.put(key, new Cached(o, now));
        }
        return o;
    }
}
