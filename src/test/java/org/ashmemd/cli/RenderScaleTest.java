package org.ashmemd.cli;

import static org.ashmemd.leaks.LeakSamples.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.leaks.LeakFinder;
import org.ashmemd.leaks.LeakSampler;
import org.ashmemd.leaks.LeakSamples;
import org.ashmemd.procscan.ProcessFootprint;
import org.ashmemd.procscan.RegionUse;
import org.junit.jupiter.api.Test;

/**
 * Admin answers cost time linear in what they print: checked by counting how often the
 * renderers touch their input, at 100,000 rows (a quadratic renderer makes 10^10 touches).
 */
class RenderScaleTest {
    private static final int N = 100_000;

    /** A list that counts element reads (get, iteration and streams of an AbstractList go through get). */
    static final class CountingList<T> extends AbstractList<T> {
        final List<T> inner;
        final AtomicLong reads;

        CountingList(List<T> inner, AtomicLong reads) {
            this.inner = inner;
            this.reads = reads;
        }

        @Override
        public T get(int i) {
            reads.incrementAndGet();
            return inner.get(i);
        }

        @Override
        public int size() {
            return inner.size();
        }
    }

    /** A map that counts entries read through its entry set (what forEach and iteration use). */
    static final class CountingMap<K, V> extends AbstractMap<K, V> {
        final Map<K, V> inner;
        final AtomicLong reads;

        CountingMap(Map<K, V> inner, AtomicLong reads) {
            this.inner = inner;
            this.reads = reads;
        }

        @Override
        public Set<Entry<K, V>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public Iterator<Entry<K, V>> iterator() {
                    Iterator<Entry<K, V>> it = inner.entrySet().iterator();
                    return new Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return it.hasNext();
                        }

                        @Override
                        public Entry<K, V> next() {
                            reads.incrementAndGet();
                            return it.next();
                        }
                    };
                }

                @Override
                public int size() {
                    return inner.size();
                }
            };
        }
    }

    /** A cell that counts how often the table reads it. */
    static final class Cell {
        static final AtomicLong READS = new AtomicLong();
        final String text;

        Cell(String text) {
            this.text = text;
        }

        @Override
        public String toString() {
            READS.incrementAndGet();
            return text;
        }
    }

    @Test
    void tableReadsEachCellOnceAndPrintsEachRowOnce() {
        Cell.READS.set(0);
        Table t = new Table("ID>", "NAME", "SIZE>");
        for (int i = 0; i < N; i++) {
            t.row(new Cell(Integer.toString(i)), new Cell(i % 10 == 0 ? "x\u001b[2J\n" + i : "name" + i), new Cell("4.0K"));
        }
        StringWriter out = new StringWriter();
        t.print(new PrintWriter(out));
        assertEquals(3L * N, Cell.READS.get());
        String[] lines = out.toString().split("\n");
        assertEquals(N + 1, lines.length);
        int width = lines[0].length();
        for (String l : lines) {
            assertEquals(width, l.length(), l);
        }
    }

    @Test
    void statusTableIsLinearInOperationsAndErrors() {
        AtomicLong reads = new AtomicLong();
        Map<String, Long> requests = new LinkedHashMap<>();
        Map<String, Long> errors = new LinkedHashMap<>();
        for (int i = 0; i < N; i++) { // what an older daemon's status held after a flood
            requests.put(String.format("0x%08x", i), 1L);
            errors.put(String.format("0x%08x ENOTTY", i), 1L);
        }
        DaemonStatus s = new DaemonStatus("1", 1, 0, 0, "6.1", "/dev/ashmem", "10:1", 0, 0, 0, 0, 0, 0, 0,
                new CountingMap<>(requests, reads), new CountingMap<>(errors, reads),
                new DaemonStatus.Broker("/run/ashmemd/broker.sock", 0, 0, 0, 0, 0, 0),
                new DaemonStatus.Pressure(false, "", 0, 0, 0, 0), new DaemonStatus.Limits(0, 0, 0, 0, 0), null);
        StringWriter out = new StringWriter();
        StatusCommand.render(new PrintWriter(out), s);
        assertTrue(reads.get() <= 4L * N, reads.get() + " entry reads for " + 2 * N + " entries");
        assertTrue(java.util.regex.Pattern.compile("(?m)^0x0001869f +1 +1$").matcher(out.toString()).find(),
                "the last operation's row");
    }

    @Test
    void leakFinderIsLinearInRegionsAndMappings() {
        AtomicLong reads = new AtomicLong();
        // 100,000 regions, half mapped by one process, the opener of the other half gone
        List<RegionInfo> regions = new ArrayList<>();
        List<RegionUse> uses = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            boolean mapped = i % 2 == 0;
            regions.add(LeakSamples.region(i, "r" + i, 4096, true, 10_000 + i, mapped ? 300 : 301, mapped, T0));
            if (mapped) {
                uses.add(LeakSamples.mappedOnce(10_000 + i, "r" + i, 4096));
            }
        }
        ProcessFootprint p = LeakSamples.process(300, "app", "box", false, 0, uses.toArray(new RegionUse[0]));
        ProcessFootprint counted = new ProcessFootprint(p.pid(), p.comm(), p.uid(), p.container(), p.cgroup(),
                p.servesCuse(), p.kinds(), new CountingList<>(p.regions(), reads));
        List<LeakSampler.Sample> samples = List.of(
                LeakSamples.sample(T0 + 1000, LeakSamples.proc(counted), new CountingList<>(regions, reads)),
                LeakSamples.sample(T0 + 2000, LeakSamples.proc(counted), new CountingList<>(regions, reads)));
        LeakFinder.Report r = LeakFinder.find(samples, new LeakFinder.Criteria(1 << 20, 8, 0));
        assertEquals(N / 2, r.unmapped().size(), "the regions nobody maps");
        assertEquals(N / 2, r.openerGone().size());
        assertTrue(r.unmapped().stream().allMatch(u -> u.region().opener().pid() == 301));
        assertTrue(reads.get() <= 20L * N, reads.get() + " reads for " + N + " regions");
    }
}
