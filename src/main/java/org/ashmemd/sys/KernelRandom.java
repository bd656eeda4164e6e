package org.ashmemd.sys;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.ashmemd.posix.Errno;

/**
 * Random numbers from the kernel's generator (getrandom(2)), fetched 256 bytes at a time into a
 * buffer of each calling thread: one system call per 64 numbers, and no hash computed in Java
 * per number (a DRBG's SHA-256 runs without hardware help on many CPUs and costs microseconds
 * per call).
 */
public final class KernelRandom {
    private static final int BATCH = 256;
    private static final ThreadLocal<Batch> BATCHES = ThreadLocal.withInitial(Batch::new);

    private KernelRandom() {
    }

    /** 31 random bits: 0 to 2^31-1. */
    public static int nextNonNegativeInt() {
        return BATCHES.get().nextInt() & Integer.MAX_VALUE;
    }

    private static final class Batch {
        private final Pointer bytes = Memory.allocateDirect(Native.RUNTIME, BATCH);
        private int next = BATCH;

        int nextInt() {
            if (next == BATCH) {
                refill();
            }
            int v = bytes.getInt(next);
            next += Integer.BYTES;
            return v;
        }

        private void refill() {
            int have = 0;
            while (have < BATCH) {
                // no flags: blocks only until the kernel's pool is first initialised, early in boot
                long n = Native.LIBC.getrandom(bytes.slice(have), BATCH - have, 0);
                if (n > 0) {
                    have += (int) n;
                } else if (n < 0 && LibC.errno() != Errno.EINTR.number()) {
                    throw new IllegalStateException("getrandom failed: " + Errno.nameOf(LibC.errno()));
                }
            }
            next = 0;
        }
    }
}
