package org.ashmemd.leaks;

import static org.ashmemd.leaks.LeakSamples.K;
import static org.ashmemd.leaks.LeakSamples.M;
import static org.ashmemd.leaks.LeakSamples.T0;
import static org.ashmemd.leaks.LeakSamples.concat;
import static org.ashmemd.leaks.LeakSamples.held;
import static org.ashmemd.leaks.LeakSamples.mapped;
import static org.ashmemd.leaks.LeakSamples.mappedOnce;
import static org.ashmemd.leaks.LeakSamples.proc;
import static org.ashmemd.leaks.LeakSamples.process;
import static org.ashmemd.leaks.LeakSamples.region;
import static org.ashmemd.leaks.LeakSamples.regions;
import static org.ashmemd.leaks.LeakSamples.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.procscan.AshmemKind;
import org.ashmemd.procscan.FdHolder;
import org.ashmemd.procscan.RegionMapper;
import org.junit.jupiter.api.Test;

class LeakFinderTest {
    private static final LeakFinder.Criteria DEFAULT = new LeakFinder.Criteria(M, 8, 5 * 60_000);

    @Test
    void aProcessWhoseRegionsOnlyGrowIsFound() {
        LeakFinder.Report r = LeakFinder.find(List.of(
                sample(T0, proc(process(100, "app", "waydroid", false, 0, mapped(AshmemKind.MEMFD, "cache", 1, 2, 512 * K))),
                        null),
                sample(T0 + 30_000, proc(process(100, "app", "waydroid", false, 0,
                        mapped(AshmemKind.MEMFD, "cache", 1, 12, 512 * K))), null)), DEFAULT);
        assertEquals(1, r.processes().size());
        LeakFinder.ProcessGrowth g = r.processes().get(0);
        assertEquals(100, g.pid());
        assertEquals("waydroid", g.container());
        assertEquals(List.of(2L, 12L), g.series().counts());
        assertEquals(List.of(M, 6 * M), g.series().bytes());
        assertEquals(1, r.regions().size(), "and the region name, from /proc");
        assertEquals("cache", r.regions().get(0).name());
        assertEquals("proc", r.regions().get(0).source());
        assertEquals(AshmemKind.MEMFD, r.regions().get(0).kind());
        assertEquals(List.of(2L, 12L), r.regions().get(0).series().counts());
        assertEquals(30_000, r.spanMillis());
        assertEquals(2, r.findings());
        assertTrue(r.notes().contains("the daemon's regions were not read: ashmemd is not running (no /run/ashmemd/admin.sock)"),
                r.notes().toString());
    }

    @Test
    void growthThatShrankOnceIsNotALeak() {
        LeakFinder.Report r = LeakFinder.find(List.of(
                sample(T0, proc(process(100, "app", "", false, 0, mapped(AshmemKind.ASHMEMD, "frames", 1, 2, M))), null),
                sample(T0 + 1, proc(process(100, "app", "", false, 0, mapped(AshmemKind.ASHMEMD, "frames", 1, 20, M))), null),
                sample(T0 + 2, proc(process(100, "app", "", false, 0, mapped(AshmemKind.ASHMEMD, "frames", 1, 19, M))), null)),
                DEFAULT);
        assertEquals(0, r.findings(), r.toString());
    }

    @Test
    void growthBelowBothThresholdsIsNotALeak() {
        LeakFinder.Report r = LeakFinder.find(List.of(
                sample(T0, proc(process(100, "app", "", false, 0, mapped(AshmemKind.MEMFD, "small", 1, 1, 64 * K))), null),
                sample(T0 + 1, proc(process(100, "app", "", false, 0, mapped(AshmemKind.MEMFD, "small", 1, 8, 64 * K))), null)),
                DEFAULT);
        assertEquals(0, r.findings(), "+7 regions, +448K: under 8 regions and 1M");
        LeakFinder.Report lower = LeakFinder.find(List.of(
                sample(T0, proc(process(100, "app", "", false, 0, mapped(AshmemKind.MEMFD, "small", 1, 1, 64 * K))), null),
                sample(T0 + 1, proc(process(100, "app", "", false, 0, mapped(AshmemKind.MEMFD, "small", 1, 8, 64 * K))), null)),
                new LeakFinder.Criteria(256 * K, 100, 0));
        assertEquals(1, lower.processes().size(), "over a 256K threshold");
    }

    @Test
    void aReusedPidOrANewProcessIsNotGrowth() {
        LeakFinder.Report r = LeakFinder.find(List.of(
                sample(T0, proc(process(100, "app", "", false, 0, mapped(AshmemKind.MEMFD, "a", 1, 1, M))), null),
                sample(T0 + 1, proc(process(100, "other", "", false, 0, mapped(AshmemKind.MEMFD, "b", 10, 20, M)),
                        process(200, "new", "", false, 0, mapped(AshmemKind.MEMFD, "c", 50, 20, M))), null)),
                new LeakFinder.Criteria(M, 8, Long.MAX_VALUE));
        assertTrue(r.processes().isEmpty(), r.processes().toString());
    }

    @Test
    void heldMemfdsAndDeviceFdsCount() {
        // an app opening the device again and again, and keeping memfds it never maps
        LeakFinder.Report r = LeakFinder.find(List.of(
                sample(T0, proc(process(100, "app", "", false, 1, held(AshmemKind.ASHMEMD, "x", 1, 256 * K))), null),
                sample(T0 + 1, proc(process(100, "app", "", false, 9, held(AshmemKind.ASHMEMD, "x", 1, 256 * K),
                        held(AshmemKind.ASHMEMD, "x", 2, 256 * K), held(AshmemKind.ASHMEMD, "x", 3, 256 * K),
                        held(AshmemKind.ASHMEMD, "x", 4, 256 * K), held(AshmemKind.ASHMEMD, "x", 5, 256 * K))), null)),
                DEFAULT);
        assertEquals(List.of(1L, 9L), r.processes().get(0).series().counts()); // a region is its device fd or its memory, not both
        assertEquals(List.of(256 * K, 5 * 256 * K), r.processes().get(0).series().bytes());
    }

    @Test
    void theDaemonItselfIsLeftToTheRegionNames() {
        LeakFinder.Report r = LeakFinder.find(List.of(
                sample(T0, proc(process(1, "ashmemd", "ashmemd.service", true, 0, held(AshmemKind.ASHMEMD, "f", 1, M))),
                        regions(1, "frames", M, T0)),
                sample(T0 + 1, proc(process(1, "ashmemd", "ashmemd.service", true, 0,
                        concat(new org.ashmemd.procscan.RegionUse[] {held(AshmemKind.ASHMEMD, "f", 1, M)},
                                mapped(AshmemKind.ASHMEMD, "f", 2, 9, 0)))), regions(10, "frames", M, T0))),
                new LeakFinder.Criteria(M, 8, Long.MAX_VALUE));
        assertTrue(r.processes().isEmpty());
        assertEquals(1, r.regions().size());
        LeakFinder.RegionGrowth g = r.regions().get(0);
        assertEquals("frames", g.name());
        assertEquals("daemon", g.source(), "with the daemon's list, ashmemd regions are counted from it");
        assertEquals(List.of(1L, 10L), g.series().counts());
        assertEquals(List.of(M, 10 * M), g.series().bytes());
    }

    @Test
    void regionsMappedByNobody() {
        long old = T0 - 10 * 60_000;
        List<RegionInfo> daemon = List.of(
                region(1, "never", 4 * K, false, 0, 300, true, old),
                region(2, "dropped", 8 * K, true, 7002, 300, true, old),
                region(3, "used", 8 * K, true, 7003, 300, true, old),
                region(4, "young", 8 * K, false, 0, 300, true, T0 - 1000));
        LeakFinder.Report r = LeakFinder.find(List.of(
                sample(T0, proc(process(300, "app300", "waydroid", false, 0, mappedOnce(7003, "used", 8 * K))), daemon),
                sample(T0 + 1000, proc(process(300, "app300", "waydroid", false, 0, mappedOnce(7003, "used", 8 * K))),
                        daemon)), DEFAULT);
        assertEquals(List.of(1L, 2L), r.unmapped().stream().map(u -> u.region().id()).toList());
        assertTrue(r.unmapped().get(0).neverMapped());
        assertFalse(r.unmapped().get(1).neverMapped());
        assertEquals(10 * 60_000 + 1000, r.unmapped().get(0).ageMillis());
        assertTrue(r.openerGone().isEmpty());
        assertEquals(2, r.findings());
    }

    @Test
    void withoutProcAMappedRegionCannotBeJudged() {
        long old = T0 - 10 * 60_000;
        List<RegionInfo> daemon = List.of(region(1, "never", 4 * K, false, 0, 300, true, old),
                region(2, "maybe", 8 * K, true, 7002, 300, true, old));
        LeakFinder.Report r = LeakFinder.find(List.of(sample(T0, null, daemon), sample(T0 + 1, null, daemon)), DEFAULT);
        assertEquals(List.of(1L), r.unmapped().stream().map(u -> u.region().id()).toList());
        assertFalse(r.procSeen());
        assertTrue(r.daemonSeen());
        assertTrue(r.notes().contains("/proc could not be read: cannot read /proc: gone"), r.notes().toString());
    }

    @Test
    void regionsWhoseOpenerHasExited() {
        List<RegionInfo> daemon = List.of(region(7, "frames", 64 * K, true, 7007, 4242, false, T0 - 2000),
                region(8, "alive", 64 * K, true, 7008, 300, true, T0 - 2000));
        LeakFinder.Report r = LeakFinder.find(List.of(sample(T0, proc(
                process(1, "ashmemd", "ashmemd.service", true, 0, held(AshmemKind.ASHMEMD, "frames", 7007, 64 * K)),
                process(500, "surfaceflinger", "waydroid", false, 0, held(AshmemKind.ASHMEMD, "frames", 7007, 64 * K)),
                process(600, "composer", "waydroid", false, 0, mappedOnce(7007, "frames", 64 * K))), daemon)),
                DEFAULT);
        assertEquals(1, r.openerGone().size());
        LeakFinder.OpenerGone g = r.openerGone().get(0);
        assertEquals(7, g.region().id());
        assertEquals(List.of(new FdHolder(500, "surfaceflinger", "waydroid", 1, false)), g.holders(),
                "the daemon's own fd is not a holder");
        assertEquals(List.of(new RegionMapper(600, "composer", "waydroid", 1, 64 * K, 64 * K, 64 * K, 0)), g.mappers());
        assertTrue(g.procSeen());
        assertTrue(r.notes().contains("one sample: growth needs --samples 2 or more"));
        assertEquals(1, r.findings());
    }

    @Test
    void monotonicSeries() {
        assertTrue(LeakFinder.grows(List.of(1L, 1L, 5L), 4));
        assertFalse(LeakFinder.grows(List.of(1L, 1L, 4L), 4));
        assertFalse(LeakFinder.grows(List.of(3L, 3L), 0), "flat is not growth, whatever the threshold");
        assertFalse(LeakFinder.grows(List.of(1L, 9L, 8L, 10L), 1));
        assertFalse(LeakFinder.grows(List.of(5L), 0));
        assertFalse(LeakFinder.grows(new ArrayList<>(), 0));
    }
}
