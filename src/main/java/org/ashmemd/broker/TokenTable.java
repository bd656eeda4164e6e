package org.ashmemd.broker;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.ashmemd.device.MapGrants;
import org.ashmemd.device.OpenFile;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.KernelRandom;

/**
 * One-shot mmap tokens. A token is a random 31-bit number bound to an open file and to the
 * process that asked for it; the broker accepts it once, within its lifetime, only from a
 * connection whose peer is that process. Guessing is useless: a token is only worth something
 * to the process that holds the device fd anyway.
 */
public final class TokenTable implements MapGrants {
    /** Outstanding tokens at most; beyond it GET_TOKEN fails with EAGAIN rather than grow. */
    static final int MAX_OUTSTANDING = 65_536;
    /** Below this many outstanding tokens no sweep is worth its walk. */
    private static final int SWEEP_ABOVE_AT_LEAST = 1_024;
    private static final int RECENT_REDEEMED = 4_096;

    /** Why a token was refused, for the single log line and for stats. */
    public enum Refusal {
        UNKNOWN("unknown token"),
        REPLAYED("token already used"),
        EXPIRED("token expired"),
        WRONG_PROCESS("token belongs to another process"),
        RELEASED("the region's device fd was closed");

        private final String text;

        Refusal(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** A redeemed token: the open file whose memory the client may map. */
    public record Grant(OpenFile file, int prot) {
    }

    /** A refused token: thrown to the broker, never to the device. */
    public static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final Refusal refusal;

        RefusedException(Refusal refusal) {
            super(refusal.text(), null, false, false);
            this.refusal = refusal;
        }

        public Refusal refusal() {
            return refusal;
        }
    }

    private record Pending(OpenFile file, int pid, int prot, long expiresAtNanos) {
    }

    private final ConcurrentHashMap<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final long lifetimeNanos;
    private final LongSupplier clock;
    private final ArrayDeque<Integer> recentOrder = new ArrayDeque<>();
    private final HashSet<Integer> recent = new HashSet<>();
    /**
     * A sweep walks every outstanding token, so it runs only once the table has doubled since
     * the last one (or is full), and only when a token can have expired since: a flood of
     * unredeemed tokens then costs each GET_TOKEN a constant share of a walk, not a whole walk.
     * Benign races: two threads may both sweep, or one sweep come an issue late.
     */
    private volatile int sweepAbove = SWEEP_ABOVE_AT_LEAST;
    /** No outstanding token expires before this (a lower bound: redeemed ones only raise it). */
    private volatile long nextExpiryNanos;

    public TokenTable(long lifetimeNanos, LongSupplier clock) {
        this.lifetimeNanos = lifetimeNanos;
        this.clock = clock;
        this.nextExpiryNanos = clock.getAsLong() + lifetimeNanos; // no token can expire before
    }

    @Override
    public int issue(OpenFile file, int callerPid, int prot) throws ErrnoException {
        if (callerPid <= 0) {
            // a caller outside the daemon's pid namespace cannot be bound to a process
            throw new ErrnoException(Errno.EPERM, "GET_TOKEN from a process invisible in the daemon's pid namespace");
        }
        long now = clock.getAsLong();
        int outstanding = pending.size();
        if ((outstanding > sweepAbove || outstanding >= MAX_OUTSTANDING) && now - nextExpiryNanos > 0) {
            sweep(now);
        }
        if (pending.size() >= MAX_OUTSTANDING) {
            throw new ErrnoException(Errno.EAGAIN, "too many outstanding mmap tokens");
        }
        Pending p = new Pending(file, callerPid, prot, now + lifetimeNanos);
        for (;;) {
            int token = KernelRandom.nextNonNegativeInt(); // never negative; 0 is no token
            if (token != 0 && pending.putIfAbsent(token, p) == null) {
                return token;
            }
        }
    }

    /** Takes the token (it can never be used again) and checks it against the presenting process. */
    public Grant redeem(int token, int peerPid) throws RefusedException {
        Pending p = pending.remove(token);
        if (p == null) {
            throw new RefusedException(wasRedeemed(token) ? Refusal.REPLAYED : Refusal.UNKNOWN);
        }
        remember(token);
        if (clock.getAsLong() - p.expiresAtNanos() > 0) {
            throw new RefusedException(Refusal.EXPIRED);
        }
        if (p.pid() != peerPid) {
            throw new RefusedException(Refusal.WRONG_PROCESS);
        }
        if (p.file().released()) {
            throw new RefusedException(Refusal.RELEASED);
        }
        return new Grant(p.file(), p.prot());
    }

    @Override
    public void revoke(OpenFile file) {
        pending.values().removeIf(p -> p.file() == file);
    }

    public int outstanding() {
        return pending.size();
    }

    /** Tokens that could still be redeemed: issued and neither redeemed nor expired. */
    public int redeemable() {
        long now = clock.getAsLong();
        int n = 0;
        for (Pending p : pending.values()) {
            if (now - p.expiresAtNanos() <= 0) {
                n++;
            }
        }
        return n;
    }

    private void sweep(long now) {
        long next = now + lifetimeNanos;
        for (Iterator<Map.Entry<Integer, Pending>> it = pending.entrySet().iterator(); it.hasNext();) {
            long expires = it.next().getValue().expiresAtNanos();
            if (now - expires > 0) {
                it.remove();
            } else if (expires - next < 0) {
                next = expires;
            }
        }
        nextExpiryNanos = next;
        sweepAbove = Math.max(SWEEP_ABOVE_AT_LEAST, 2 * pending.size());
    }

    private synchronized void remember(int token) {
        if (recent.add(token)) {
            recentOrder.addLast(token);
            if (recentOrder.size() > RECENT_REDEEMED) {
                recent.remove(recentOrder.removeFirst());
            }
        }
    }

    private synchronized boolean wasRedeemed(int token) {
        return recent.contains(token);
    }
}
