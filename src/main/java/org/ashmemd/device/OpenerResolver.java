package org.ashmemd.device;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.ashmemd.control.Opener;
import org.ashmemd.procscan.ProcFs;

/**
 * Learns who a calling thread is (process, names, cgroup, container) from /proc, with a small
 * cache: the threads that open regions are few and long-lived, and a CUSE open must stay cheap.
 * Entries expire quickly so that a reused thread id is looked up afresh.
 */
public final class OpenerResolver {
    private static final int CAPACITY = 4096;

    private final ProcFs proc;
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

    public OpenerResolver(ProcFs proc, LongSupplier clock, long ttlNanos) {
        this.proc = proc;
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
        // one read of each file: the thread's status, both comms, the process's cgroup
        ProcFs.Caller c = proc.caller(tid);
        Opener o = new Opener(c.pid(), tid, c.comm(), c.threadComm(), uid, c.cgroup(), c.container());
        synchronized (cache) {
            cache.put(key, new Cached(o, now));
        }
        return o;
    }
}
