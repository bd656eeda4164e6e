package org.ashmemd.leaks;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.ashmemd.control.Opener;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.procscan.AshmemKind;
import org.ashmemd.procscan.FdHolder;
import org.ashmemd.procscan.ProcessFootprint;
import org.ashmemd.procscan.RegionMapper;
import org.ashmemd.procscan.RegionUse;
import org.ashmemd.procscan.ScanResult;
import org.ashmemd.procscan.ScanStats;
import org.ashmemd.procscan.Usage;

/**
 * Judges a series of samples: what grows without ever shrinking, which regions nobody maps,
 * which regions outlived the process that opened them. Pure: no clock, no I/O; ashmemctl's
 * {@code leaks} command only takes the samples and renders the report.
 */
public final class LeakFinder {
    /**
     * @param minGrowthBytes    bytes a series must gain, first to last sample, to count as growing
     * @param minCountGrowth    regions (or fds) a series must gain to count as growing
     * @param unmappedForMillis how old a region mapped by nobody must be to be reported
     */
    public record Criteria(long minGrowthBytes, int minCountGrowth, long unmappedForMillis) {
    }

    /** Values per sample, oldest first. */
    @JsonPropertyOrder({"counts", "bytes", "countGrowth", "byteGrowth"})
    public record Series(List<Long> counts, List<Long> bytes) {
        @JsonProperty("countGrowth")
        public long countGrowth() {
            return counts.get(counts.size() - 1) - counts.get(0);
        }

        @JsonProperty("byteGrowth")
        public long byteGrowth() {
            return bytes.get(bytes.size() - 1) - bytes.get(0);
        }
    }

    /** A process whose regions (count: distinct regions mapped or held, plus device fds; bytes: their size) grow. */
    @JsonPropertyOrder({"pid", "comm", "container", "series"})
    public record ProcessGrowth(int pid, String comm, String container, @JsonUnwrapped Series series) {
    }

    /** Regions of one kind and name, across the host, growing; {@code source} is "daemon" or "proc". */
    @JsonPropertyOrder({"kind", "name", "source", "series"})
    public record RegionGrowth(AshmemKind kind, String name, String source, @JsonUnwrapped Series series) {
    }

    /** A region mapped by nobody, at least {@code ageMillis} old; {@code neverMapped} when it was never mapped. */
    @JsonPropertyOrder({"reported", "neverMapped"})
    public record Unmapped(@JsonIgnore RegionInfo region, @JsonIgnore long ageMillis, boolean neverMapped) {
        @JsonUnwrapped
        @JsonProperty("reported")
        private ReportedRegion reported() {
            return ReportedRegion.of(region, ageMillis);
        }
    }

    /**
     * A region whose opener exited, with who keeps it: memfd holders other than the daemon, and
     * mappers ({@code procSeen} false when /proc could not tell).
     */
    @JsonPropertyOrder({"reported", "procSeen", "holders", "mappers"})
    public record OpenerGone(@JsonIgnore RegionInfo region, @JsonIgnore long ageMillis, List<FdHolder> holders,
            List<RegionMapper> mappers, boolean procSeen) {
        @JsonUnwrapped
        @JsonProperty("reported")
        private ReportedRegion reported() {
            return ReportedRegion.of(region, ageMillis);
        }
    }

    /**
     * A reported region as {@code leaks --json} shows it (flat, in {@link Unmapped} and
     * {@link OpenerGone}): the daemon's record cut to what identifies it, its age, and its opener.
     */
    @JsonPropertyOrder({"id", "name", "sizeBytes", "inode", "mapped", "ageMillis", "opener"})
    record ReportedRegion(long id, String name, long sizeBytes, long inode, boolean mapped, long ageMillis,
            ReportedOpener opener) {
        static ReportedRegion of(RegionInfo r, long ageMillis) {
            return new ReportedRegion(r.id(), r.name(), r.size(), r.inode(), r.mapped(), ageMillis,
                    ReportedOpener.of(r.opener(), r.openerAlive()));
        }
    }

    /** A region's opener in {@code leaks --json}: pid -1, name "?" and container "" when unknown. */
    @JsonPropertyOrder({"pid", "processName", "container", "alive"})
    record ReportedOpener(int pid, String processName, String container, boolean alive) {
        static ReportedOpener of(Opener o, boolean alive) {
            return o == null ? new ReportedOpener(-1, "?", "", alive)
                    : new ReportedOpener(o.pid(), o.processName(), o.container(), alive);
        }
    }

    /**
     * What the samples showed; serialised as it is for {@code leaks --json}.
     *
     * @param intervalMillis the time asked for between samples (0 when not told)
     * @param spanMillis     from the first sample to the last
     */
    @JsonPropertyOrder({"samples", "intervalMillis", "spanMillis", "proc", "daemon", "leaks", "notes", "growingProcesses",
        "growingRegions", "unmapped", "openerGone"})
    public record Report(int samples, long intervalMillis, long spanMillis, @JsonProperty("proc") boolean procSeen,
            @JsonProperty("daemon") boolean daemonSeen, @JsonProperty("growingProcesses") List<ProcessGrowth> processes,
            @JsonProperty("growingRegions") List<RegionGrowth> regions, List<Unmapped> unmapped,
            List<OpenerGone> openerGone, List<String> notes) {
        /** Leaks found: the size of all four lists. */
        @JsonProperty("leaks")
        public int findings() {
            return processes.size() + regions.size() + unmapped.size() + openerGone.size();
        }
    }

    private LeakFinder() {
    }

    /** {@link #find(List, Criteria, long)} with the interval not told (0). */
    public static Report find(List<LeakSampler.Sample> samples, Criteria c) {
        return find(samples, c, 0);
    }

    /** Judges {@code samples}, oldest first, taken {@code intervalMillis} apart (as the report tells). */
    public static Report find(List<LeakSampler.Sample> samples, Criteria c, long intervalMillis) {
        List<String> notes = new ArrayList<>();
        boolean procSeen = samples.stream().anyMatch(s -> s.proc() != null);
        boolean daemonSeen = samples.stream().anyMatch(s -> s.regions() != null);
        boolean procAll = samples.stream().allMatch(s -> s.proc() != null);
        boolean daemonAll = samples.stream().allMatch(s -> s.regions() != null);
        samples.stream().filter(s -> s.procError() != null).map(s -> "/proc could not be read: " + s.procError())
                .distinct().forEach(notes::add);
        samples.stream().filter(s -> s.regions() == null && s.daemonError() != null)
                .map(s -> "the daemon's regions were not read: " + s.daemonError()).distinct().forEach(notes::add);
        int denied = samples.stream().filter(s -> s.proc() != null).mapToInt(s -> s.proc().stats().denied()).max()
                .orElse(0);
        if (denied > 0) {
            notes.add(ScanStats.unreadable(denied));
        }
        if (samples.size() < 2) {
            notes.add("one sample: growth needs --samples 2 or more");
        }
        long span = samples.isEmpty() ? 0 : samples.get(samples.size() - 1).atMillis() - samples.get(0).atMillis();

        List<ProcessGrowth> processes = new ArrayList<>();
        List<RegionGrowth> regions = new ArrayList<>();
        if (samples.size() >= 2) {
            if (procAll) {
                processes = processGrowth(samples, c);
            }
            regions = regionGrowth(samples, c, procAll, daemonAll);
        }

        List<Unmapped> unmapped = new ArrayList<>();
        List<OpenerGone> gone = new ArrayList<>();
        LeakSampler.Sample last = null;
        for (LeakSampler.Sample s : samples) {
            if (s.regions() != null) {
                last = s;
            }
        }
        if (last != null) {
            // indexes built once, so that judging N regions is linear in the samples' size
            List<SampleIndex> indexes = new ArrayList<>();
            for (LeakSampler.Sample s : samples) {
                if (s.proc() != null && s.regions() != null) {
                    indexes.add(new SampleIndex(s));
                }
            }
            Map<Long, List<Use>> byInode = last.proc() == null ? Map.of() : ashmemdUsers(last.proc());
            for (RegionInfo r : last.regions()) {
                long age = last.atMillis() - r.createdAtMillis();
                if (age >= c.unmappedForMillis()) {
                    Boolean nobody = mappedByNobody(r, indexes);
                    if (nobody != null && nobody) {
                        unmapped.add(new Unmapped(r, age, !r.mapped()));
                    }
                }
                if (!r.openerAlive()) {
                    gone.add(openerGone(r, age, last.proc(), byInode));
                }
            }
        }
        unmapped.sort(Comparator.comparingLong(Unmapped::ageMillis).reversed()
                .thenComparingLong(u -> u.region().id()));
        gone.sort(Comparator.comparingLong(g -> g.region().id()));
        return new Report(samples.size(), intervalMillis, span, procSeen, daemonSeen, processes, regions, unmapped, gone, notes);
    }

    /** Whether a series only ever rose, by at least {@code min} (and at least 1) overall. */
    public static boolean grows(List<Long> v, long min) {
        for (int i = 1; i < v.size(); i++) {
            if (v.get(i) < v.get(i - 1)) {
                return false;
            }
        }
        return v.size() >= 2 && v.get(v.size() - 1) - v.get(0) >= Math.max(1, min);
    }

    private static boolean growing(Series s, Criteria c) {
        return grows(s.bytes(), c.minGrowthBytes()) || grows(s.counts(), c.minCountGrowth());
    }

    private static List<ProcessGrowth> processGrowth(List<LeakSampler.Sample> samples, Criteria c) {
        // a process counts when it is the same process (pid and name) in every sample
        Map<Integer, List<ProcessFootprint>> byPid = new TreeMap<>();
        for (ProcessFootprint p : samples.get(0).proc().processes()) {
            if (!p.servesCuse()) { // the daemon holds every region: the regions' growth shows it
                byPid.put(p.pid(), new ArrayList<>(List.of(p)));
            }
        }
        for (int i = 1; i < samples.size(); i++) {
            Map<Integer, ProcessFootprint> now = new HashMap<>();
            for (ProcessFootprint p : samples.get(i).proc().processes()) {
                now.put(p.pid(), p);
            }
            byPid.entrySet().removeIf(e -> {
                ProcessFootprint p = now.get(e.getKey());
                if (p == null || !p.comm().equals(e.getValue().get(0).comm())) {
                    return true;
                }
                e.getValue().add(p);
                return false;
            });
        }
        List<ProcessGrowth> out = new ArrayList<>();
        byPid.forEach((pid, seen) -> {
            List<Long> counts = new ArrayList<>();
            List<Long> bytes = new ArrayList<>();
            for (ProcessFootprint p : seen) {
                counts.add(regionCount(p));
                bytes.add(regionBytes(p));
            }
            Series s = new Series(counts, bytes);
            if (growing(s, c)) {
                ProcessFootprint p = seen.get(seen.size() - 1);
                out.add(new ProcessGrowth(pid, p.comm(), p.container(), s));
            }
        });
        out.sort(Comparator.comparingLong((ProcessGrowth g) -> g.series().byteGrowth()).reversed()
                .thenComparing(g -> g.series().countGrowth(), Comparator.reverseOrder())
                .thenComparingInt(ProcessGrowth::pid));
        return out;
    }

    /**
     * Regions, per kind: distinct memfds for memfd; for ashmem (ashmemd's and the driver's) a
     * region shows as a device fd and as its mapped or held memory, which /proc cannot link, so
     * the larger of the two counts.
     */
    static long regionCount(ProcessFootprint p) {
        java.util.Map<AshmemKind, long[]> byKind = new java.util.EnumMap<>(AshmemKind.class); // distinct, memfd fds
        for (RegionUse r : p.regions()) {
            long[] v = byKind.computeIfAbsent(r.kind(), k -> new long[2]);
            v[0]++;
            v[1] += r.usage().fds();
        }
        long n = 0;
        for (AshmemKind k : AshmemKind.values()) {
            long[] v = byKind.getOrDefault(k, new long[2]);
            long deviceFds = Math.max(0, p.usage(k).fds() - v[1]);
            n += k == AshmemKind.MEMFD ? v[0] : Math.max(v[0], deviceFds);
        }
        return n;
    }

    /** Mapped size, plus the size of memfds held but not mapped. */
    static long regionBytes(ProcessFootprint p) {
        long b = 0;
        for (RegionUse r : p.regions()) {
            b += r.usage().mappings() > 0 ? r.usage().sizeBytes() : Math.max(0, r.fileSizeBytes());
        }
        return b;
    }

    private static List<RegionGrowth> regionGrowth(List<LeakSampler.Sample> samples, Criteria c, boolean procAll,
            boolean daemonAll) {
        // per kind and name: region count and bytes in each sample (absent = 0: every sample sees the whole host)
        Map<NameKey, long[][]> series = new LinkedHashMap<>();
        Map<NameKey, String> source = new HashMap<>();
        int n = samples.size();
        for (int at = 0; at < n; at++) {
            final int i = at;
            LeakSampler.Sample s = samples.get(i);
            if (daemonAll) {
                for (RegionInfo r : s.regions()) {
                    NameKey key = new NameKey(AshmemKind.ASHMEMD, r.name());
                    long[][] v = series.computeIfAbsent(key, k -> new long[2][n]);
                    v[0][i]++;
                    v[1][i] += r.size();
                    source.put(key, "daemon");
                }
            }
            if (procAll) {
                Map<NameKey, Map<Long, Long>> sizes = new HashMap<>();
                for (ProcessFootprint p : s.proc().processes()) {
                    for (RegionUse r : p.regions()) {
                        if (daemonAll && r.kind() == AshmemKind.ASHMEMD) {
                            continue; // the daemon's list is exact, /proc only sees what is mapped or held
                        }
                        Usage u = r.usage();
                        long size = u.mappings() > 0 ? u.sizeBytes() / u.mappings() : Math.max(0, r.fileSizeBytes());
                        sizes.computeIfAbsent(new NameKey(r.kind(), r.name()), k -> new HashMap<>())
                                .merge(r.inode(), size, Math::max);
                    }
                }
                sizes.forEach((key, inodes) -> {
                    long[][] v = series.computeIfAbsent(key, k -> new long[2][n]);
                    v[0][i] += inodes.size();
                    v[1][i] += inodes.values().stream().mapToLong(Long::longValue).sum();
                    source.putIfAbsent(key, "proc");
                });
            }
        }
        List<RegionGrowth> out = new ArrayList<>();
        series.forEach((key, v) -> {
            Series s = new Series(list(v[0]), list(v[1]));
            if (growing(s, c)) {
                out.add(new RegionGrowth(key.kind(), key.name(), source.get(key), s));
            }
        });
        out.sort(Comparator.comparingLong((RegionGrowth g) -> g.series().byteGrowth()).reversed()
                .thenComparing(g -> g.series().countGrowth(), Comparator.reverseOrder())
                .thenComparing(RegionGrowth::name));
        return out;
    }

    /** Regions of one kind with one name: the unit in which region growth is judged. */
    private record NameKey(AshmemKind kind, String name) {
    }

    /** One sample that saw both /proc and the daemon: the region ids listed, the inodes mapped. */
    private static final class SampleIndex {
        final Set<Long> ids = new HashSet<>();
        final Set<Long> mappedInodes = new HashSet<>();

        SampleIndex(LeakSampler.Sample s) {
            for (RegionInfo x : s.regions()) {
                ids.add(x.id());
            }
            for (ProcessFootprint p : s.proc().processes()) {
                for (RegionUse u : p.regions()) {
                    if (u.kind() == AshmemKind.ASHMEMD && u.usage().mappings() > 0) {
                        mappedInodes.add(u.inode());
                    }
                }
            }
        }
    }

    /**
     * True when nobody mapped the region in any sample that could tell, null when none could (it
     * was mapped once and /proc was never read).
     */
    private static Boolean mappedByNobody(RegionInfo r, List<SampleIndex> samples) {
        if (!r.mapped()) {
            return true;
        }
        boolean told = false;
        for (SampleIndex s : samples) {
            if (!s.ids.contains(r.id())) {
                continue;
            }
            told = true;
            if (s.mappedInodes.contains(r.inode())) {
                return false;
            }
        }
        return told ? Boolean.TRUE : null;
    }

    /** A process's use of one ashmemd region. */
    private record Use(ProcessFootprint process, RegionUse region) {
    }

    /** Who uses each ashmemd inode, in scan order. */
    private static Map<Long, List<Use>> ashmemdUsers(ScanResult proc) {
        Map<Long, List<Use>> out = new HashMap<>();
        for (ProcessFootprint p : proc.processes()) {
            for (RegionUse u : p.regions()) {
                if (u.kind() == AshmemKind.ASHMEMD) {
                    out.computeIfAbsent(u.inode(), k -> new ArrayList<>()).add(new Use(p, u));
                }
            }
        }
        return out;
    }

    private static OpenerGone openerGone(RegionInfo r, long age, ScanResult proc, Map<Long, List<Use>> byInode) {
        List<FdHolder> holders = new ArrayList<>();
        List<RegionMapper> mappers = new ArrayList<>();
        if (proc != null && r.inode() > 0) {
            for (Use use : byInode.getOrDefault(r.inode(), List.of())) {
                ProcessFootprint p = use.process();
                Usage x = use.region().usage();
                if (x.fds() > 0 && !p.servesCuse()) {
                    holders.add(new FdHolder(p.pid(), p.comm(), p.container(), x.fds(), false));
                }
                if (x.mappings() > 0) {
                    mappers.add(new RegionMapper(p.pid(), p.comm(), p.container(), x.mappings(), x.sizeBytes(),
                            x.rssBytes(), x.pssBytes(), x.swapBytes()));
                }
            }
        }
        return new OpenerGone(r, age, holders, mappers, proc != null);
    }

    private static List<Long> list(long[] v) {
        List<Long> out = new ArrayList<>(v.length);
        for (long x : v) {
            out.add(x);
        }
        return out;
    }
}
