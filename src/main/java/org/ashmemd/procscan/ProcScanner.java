package org.ashmemd.procscan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads every process's ashmem memory from a procfs. Cheap first: a process's maps (a few
 * kilobytes) is searched as bytes, and its smaps (which makes the kernel walk page tables) read
 * only when its maps mention a memfd or the driver's files; each fd costs a readlink, and a stat
 * only when it is a memfd or may be the device. Processes are spread over a few threads, as most
 * of the time is spent in the kernel. Processes that exit mid-scan are skipped; those that cannot
 * be read for lack of permission are counted.
 */
public final class ProcScanner {
    private static final String CUSE = "/dev/cuse";
    private static final byte[] MEMFD_MARK = "/memfd:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DRIVER_MARK = "/dev/ashmem".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_THREADS = 4;

    private final Path proc;
    private final AshmemClassifier classifier;
    private final ProcIo io;

    public ProcScanner(Path proc, AshmemClassifier classifier) {
        this(proc, classifier, ProcIo.system());
    }

    public ProcScanner(Path proc, AshmemClassifier classifier, ProcIo io) {
        this.proc = proc;
        this.classifier = classifier;
        this.io = io;
    }

    /**
     * The host's scanner: /proc, and /sys for the numbers of ashmemd's device {@code deviceName}
     * (so that fds to it tell apart from fds to the kernel driver's).
     */
    public static ProcScanner system(String deviceName) {
        return rooted(Path.of("/proc"), Path.of("/sys"), deviceName);
    }

    /** A scanner over a procfs and sysfs mounted (or copied) elsewhere. */
    public static ProcScanner rooted(Path proc, Path sys, String deviceName) {
        return new ProcScanner(proc, new AshmemClassifier(deviceName,
                DeviceNumber.ofCuseDevice(sys, deviceName).orElse(null)));
    }

    public Path proc() {
        return proc;
    }

    public AshmemClassifier classifier() {
        return classifier;
    }

    /** Every process's memory of every kind. */
    public ScanResult scan() throws ProcUnavailableException {
        return scan(AshmemKind.all());
    }

    /** Every process's memory of the given kinds; processes with none of them are left out. */
    public ScanResult scan(Set<AshmemKind> kinds) throws ProcUnavailableException {
        long t0 = System.nanoTime();
        List<Integer> pids = pids();
        Counters c = new Counters();
        List<ProcessFootprint> found = eachPid(pids, c, new PidTask<ProcessFootprint>() {
            @Override
            public ProcessFootprint run(int pid) throws IOException {
                return footprint(pid, kinds, c);
            }
        });
        return new ScanResult(found, new ScanStats(pids.size(), found.size(), c.smaps.get(), c.vanished.get(),
                c.denied.get(), System.nanoTime() - t0), kinds);
    }

    /** The processes mapping the memory with this inode (a memfd or driver backing file), by pid. */
    public List<RegionMapper> mappersOf(long inode) throws ProcUnavailableException {
        byte[] needle = (" " + inode + " ").getBytes(StandardCharsets.US_ASCII);
        return eachPid(pids(), new Counters(), new PidTask<RegionMapper>() {
            @Override
            public RegionMapper run(int pid) throws IOException {
                Path dir = proc.resolve(Integer.toString(pid));
                byte[] maps = io.readBytes(dir.resolve("maps"));
                if (indexOf(maps, needle) < 0) {
                    return null;
                }
                Usage u = Usage.ZERO;
                for (SmapsEntry s : SmapsParser.parse(io.read(dir.resolve("smaps")),
                        e -> e.inode() == inode && classifier.ofPath(e.path()) != null)) {
                    u = u.plus(Usage.of(s));
                }
                if (u.mappings() == 0) {
                    return null;
                }
                ProcessInfo who = info(pid);
                return new RegionMapper(pid, who.comm(), who.container(), u.mappings(), u.sizeBytes(), u.rssBytes(),
                        u.pssBytes(), u.swapBytes());
            }
        });
    }

    /** The processes holding fds to the memfd with this inode, by pid. */
    public List<FdHolder> holdersOf(long inode) throws ProcUnavailableException {
        return eachPid(pids(), new Counters(), new PidTask<FdHolder>() {
            @Override
            public FdHolder run(int pid) throws IOException {
                Path fdDir = proc.resolve(pid + "/fd");
                int fds = 0;
                boolean cuse = false;
                for (String fd : io.list(fdDir)) {
                    String link = readLink(fdDir.resolve(fd));
                    if (link == null) {
                        continue;
                    }
                    if (link.equals(CUSE)) {
                        cuse = true;
                    } else if (link.startsWith("/memfd:") && fdInode(pid, fd) == inode) {
                        fds++;
                    }
                }
                if (fds == 0) {
                    return null;
                }
                ProcessInfo who = info(pid);
                return new FdHolder(pid, who.comm(), who.container(), fds, cuse);
            }
        });
    }

    /** Name, uid, cgroup and container of a process; empty when it is gone. */
    public Optional<ProcessInfo> processInfo(int pid) {
        try {
            return Optional.of(info(pid));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private ProcessInfo info(int pid) throws IOException {
        Path dir = proc.resolve(Integer.toString(pid));
        ProcStatus status = ProcStatus.parse(io.read(dir.resolve("status")));
        String comm = Comm.parse(io.readBytes(dir.resolve("comm")));
        Cgroups cgroups;
        try {
            cgroups = Cgroups.parse(io.read(dir.resolve("cgroup")));
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            cgroups = new Cgroups(List.of());
        }
        return new ProcessInfo(pid, comm, status.uid(), cgroups.primaryPath(), ContainerNames.of(cgroups));
    }

    private ProcessFootprint footprint(int pid, Set<AshmemKind> kinds, Counters c) throws IOException {
        Path dir = proc.resolve(Integer.toString(pid));
        byte[] maps = io.readBytes(dir.resolve("maps"));
        Map<AshmemKind, Usage> usage = new EnumMap<>(AshmemKind.class);
        Map<RegionKey, RegionUse> regions = new LinkedHashMap<>();
        if (indexOf(maps, MEMFD_MARK) >= 0 || indexOf(maps, DRIVER_MARK) >= 0) {
            if (!MapsParser.parse(new String(maps, StandardCharsets.UTF_8), e -> wanted(e, kinds)).isEmpty()) {
                c.smaps.incrementAndGet();
                for (SmapsEntry s : SmapsParser.parse(io.read(dir.resolve("smaps")), e -> wanted(e, kinds))) {
                    MapsEntry m = s.mapping();
                    AshmemKind k = classifier.ofPath(m.path());
                    Usage u = Usage.of(s);
                    usage.merge(k, u, Usage::plus);
                    region(regions, k, m.path(), m.inode(), u, -1);
                }
            }
        }
        boolean cuse = false;
        Path fdDir = dir.resolve("fd");
        for (String fd : io.list(fdDir)) {
            String link = readLink(fdDir.resolve(fd));
            if (link == null) {
                continue;
            }
            if (link.startsWith("/memfd:")) {
                AshmemKind k = classifier.ofPath(link);
                if (kinds.contains(k)) {
                    usage.merge(k, Usage.fd(), Usage::plus);
                    ProcIo.FileStat st = stat(fdDir.resolve(fd));
                    long inode = st != null ? st.inode() : fdinfoInode(pid, fd);
                    region(regions, k, link, inode, Usage.fd(), st != null ? st.size() : -1);
                }
            } else if (link.equals(CUSE)) {
                cuse = true;
            } else if (classifier.maybeDevice(link)) {
                ProcIo.FileStat st = stat(fdDir.resolve(fd));
                if (st != null && st.charDevice()) {
                    AshmemKind k = classifier.ofDevice(DeviceNumber.fromRdev(st.rdev()));
                    if (kinds.contains(k)) {
                        usage.merge(k, Usage.fd(), Usage::plus);
                    }
                }
            }
        }
        if (usage.isEmpty()) {
            return null;
        }
        ProcessInfo who = info(pid);
        return new ProcessFootprint(pid, who.comm(), who.uid(), who.container(), who.cgroup(), cuse, usage,
                new ArrayList<>(regions.values()));
    }

    /**
     * A mapping of a wanted kind. Other programs' memfds count only when mapped shared, as ashmem
     * is used: a private mapping of a memfd is a program image (sealed binaries run from a memfd).
     */
    private boolean wanted(MapsEntry e, Set<AshmemKind> kinds) {
        AshmemKind k = classifier.ofPath(e.path());
        return k != null && kinds.contains(k) && (k != AshmemKind.MEMFD || e.shared());
    }

    /** One region as a process sees it: its mappings and fds of the same file count once. */
    private record RegionKey(AshmemKind kind, long inode, String name) {
    }

    private static void region(Map<RegionKey, RegionUse> regions, AshmemKind kind, String path, long inode, Usage u,
            long fileSize) {
        String name = AshmemClassifier.regionName(path);
        RegionUse r = new RegionUse(kind, name, inode, u, fileSize);
        regions.merge(new RegionKey(kind, inode, name), r, (a, b) -> a.plus(b.usage(), b.fileSizeBytes()));
    }

    private String readLink(Path link) {
        try {
            return io.readLink(link);
        } catch (IOException e) {
            return null; // closed since the listing
        }
    }

    private ProcIo.FileStat stat(Path fd) {
        try {
            return io.stat(fd);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** An fd's inode: stat, or the "ino:" line of fdinfo (Linux 5.14+) when stat fails. */
    private long fdInode(int pid, String fd) {
        ProcIo.FileStat st = stat(proc.resolve(pid + "/fd/" + fd));
        return st != null ? st.inode() : fdinfoInode(pid, fd);
    }

    private long fdinfoInode(int pid, String fd) {
        try {
            for (String line : io.read(proc.resolve(pid + "/fdinfo/" + fd)).split("\n")) {
                if (line.startsWith("ino:")) {
                    return Long.parseLong(line.substring(4).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return -1;
    }

    private List<Integer> pids() throws ProcUnavailableException {
        List<String> names;
        try {
            names = io.list(proc);
        } catch (IOException e) {
            throw new ProcUnavailableException("cannot read " + proc + ": " + e.getMessage(), e);
        }
        List<Integer> pids = new ArrayList<>(names.size());
        for (String n : names) {
            if (isNumber(n)) {
                pids.add(Integer.parseInt(n));
            }
        }
        if (pids.isEmpty()) {
            throw new ProcUnavailableException(proc + " lists no processes (is procfs mounted there?)", null);
        }
        return pids;
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 9) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') {
                return false;
            }
        }
        return true;
    }

    /** Where {@code needle} first occurs in {@code hay}, or -1. */
    static int indexOf(byte[] hay, byte[] needle) {
        byte first = needle[0];
        int last = hay.length - needle.length;
        outer:
        for (int i = 0; i <= last; i++) {
            if (hay[i] != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private interface PidTask<T> {
        T run(int pid) throws IOException;
    }

    /** Runs {@code task} for every pid on a few threads; the non-null results, by pid. */
    private static <T> List<T> eachPid(List<Integer> pids, Counters c, PidTask<T> task) {
        int n = pids.size();
        Object[] results = new Object[n];
        AtomicInteger next = new AtomicInteger();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Runnable work = new Runnable() {
            @Override
            public void run() {
                try {
                    for (int i; (i = next.getAndIncrement()) < n;) {
                        results[i] = guarded(pids.get(i), c, task);
                    }
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                    next.set(n);
                }
            }
        };
        int threads = Math.min(MAX_THREADS, Math.max(2, Runtime.getRuntime().availableProcessors()));
        threads = Math.max(1, Math.min(threads, n / 64));
        Thread[] helpers = new Thread[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Thread(work, "procscan-" + i);
            helpers[i].setDaemon(true);
            helpers[i].start();
        }
        work.run();
        boolean interrupted = false;
        for (Thread t : helpers) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true; // the helpers finish soon; the caller hears of it after
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        List<T> out = new ArrayList<>();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (results[i] != null) {
                @SuppressWarnings("unchecked")
                T t = (T) results[i];
                out.add(t);
                order.add(pids.get(i));
            }
        }
        // /proc lists pids in order already; a fixture directory may not
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            idx.add(i);
        }
        idx.sort(Comparator.comparingInt(order::get));
        List<T> sorted = new ArrayList<>(out.size());
        for (int i : idx) {
            sorted.add(out.get(i));
        }
        return sorted;
    }

    private static <T> T guarded(int pid, Counters c, PidTask<T> task) {
        try {
            return task.run(pid);
        } catch (AccessDeniedException e) {
            c.denied.incrementAndGet();
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("Permission denied") || m.contains("Operation not permitted")) {
                c.denied.incrementAndGet();
            } else {
                c.vanished.incrementAndGet(); // ENOENT, ESRCH: it exited under our feet
            }
        }
        return null;
    }

    private static final class Counters {
        final AtomicInteger smaps = new AtomicInteger();
        final AtomicInteger vanished = new AtomicInteger();
        final AtomicInteger denied = new AtomicInteger();
    }
}
