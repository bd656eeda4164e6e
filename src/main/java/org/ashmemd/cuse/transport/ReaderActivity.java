package org.ashmemd.cuse.transport;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import org.ashmemd.cuse.wire.Opcode;

/**
 * Which reader of the CUSE channel is inside a request, and since when: the request path's
 * health. A reader blocked in read(2) waits for work and is idle; a reader that has read a
 * request and not yet written its reply is busy. One that stays busy far longer than any request
 * takes (a deadlock, a stuck system call) has hung, and every caller it serves hangs with it.
 *
 * <p>Each reader writes only its own slot, without locks; any thread may read them.
 */
public final class ReaderActivity {
    /** A busy reader: its name, the request it is in and for how long. */
    public record Busy(String reader, int opcode, long nanos) {
        /** The request's opcode name, e.g. {@code IOCTL}. */
        public String request() {
            return Opcode.nameOf(opcode);
        }
    }

    private static final long IDLE = Long.MIN_VALUE;

    private final String[] names;
    private final AtomicLongArray since;
    private final int[] opcodes;
    private final LongSupplier clock;

    /**
     * @param names the readers' names, one slot each
     * @param clock monotonic nanoseconds ({@code System::nanoTime})
     */
    public ReaderActivity(String[] names, LongSupplier clock) {
        this.names = names.clone();
        this.since = new AtomicLongArray(names.length);
        this.opcodes = new int[names.length];
        this.clock = clock;
        for (int i = 0; i < names.length; i++) {
            since.set(i, IDLE);
        }
    }

    /**
     * Reader {@code slot} has read a request with {@code opcode}.
     *
     * @return the clock's time now, for the request's own latency (one clock read per request
     *     less: without a vDSO clock, as under emulation, each read is a system call)
     */
    public long begin(int slot, int opcode) {
        opcodes[slot] = opcode; // published by the volatile write below
        long now = clock.getAsLong();
        since.set(slot, now);
        return now;
    }

    /** Reader {@code slot} is done with its request (replied or not) and goes back to read(2). */
    public void end(int slot) {
        since.set(slot, IDLE);
    }

    /** The reader that has been inside one request longest, if any reader is busy now. */
    public Optional<Busy> longestBusy() {
        long now = clock.getAsLong();
        int worst = -1;
        long worstSince = 0;
        for (int i = 0; i < names.length; i++) {
            long s = since.get(i);
            if (s != IDLE && (worst < 0 || s - worstSince < 0)) {
                worst = i;
                worstSince = s;
            }
        }
        if (worst < 0) {
            return Optional.empty();
        }
        // the opcode may already be the next request's if the reader moved on meanwhile: it only names it
        return Optional.of(new Busy(names[worst], opcodes[worst], Math.max(0, now - worstSince)));
    }

    public int readers() {
        return names.length;
    }
}
