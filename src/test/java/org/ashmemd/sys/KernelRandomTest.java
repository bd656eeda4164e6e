package org.ashmemd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KernelRandomTest {
    @Test
    void numbersAreNonNegativeAndDoNotRepeatAcrossBatches() {
        Set<Integer> seen = new HashSet<>();
        int orAll = 0;
        int andAll = -1;
        for (int i = 0; i < 10_000; i++) { // 156 batches of 64
            int v = KernelRandom.nextNonNegativeInt();
            assertTrue(v >= 0, "negative: " + v);
            seen.add(v);
            orAll |= v;
            andAll &= v;
        }
        // 10,000 draws of 31 bits repeat some value with probability about 2 %, three times almost never
        assertTrue(seen.size() >= 9_998, seen.size() + " distinct of 10,000");
        assertEquals(Integer.MAX_VALUE, orAll, "every bit is set somewhere");
        assertEquals(0, andAll, "every bit is clear somewhere");
    }

    @Test
    void threadsDrawFromBatchesOfTheirOwn() throws InterruptedException {
        int[][] drawn = new int[2][1_000];
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int[] mine = drawn[t];
            threads[t] = new Thread(() -> {
                for (int i = 0; i < mine.length; i++) {
                    mine[i] = KernelRandom.nextNonNegativeInt();
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        Set<Integer> all = new HashSet<>();
        for (int[] d : drawn) {
            for (int v : d) {
                all.add(v);
            }
        }
        assertTrue(all.size() >= 1_998, all.size() + " distinct of 2,000");
    }
}
