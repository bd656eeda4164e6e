package org.ashmemd.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.cmdline.Version;
import org.ashmemd.procscan.AshmemKind;
import org.ashmemd.procscan.ContainerFootprint;
import org.ashmemd.procscan.ProcScanner;
import org.ashmemd.procscan.ProcessFootprint;
import org.ashmemd.procscan.ScanResult;
import org.ashmemd.procscan.ScanStats;
import org.ashmemd.procscan.SortKey;
import org.ashmemd.procscan.Usage;
import org.ashmemd.units.ByteSize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "scan", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class, description = {
    "Show which processes use ashmem memory and what it costs, from /proc alone (the daemon need not run).",
    "Kinds: kernel (the kernel driver's /dev/ashmem), memfd (memfds of other programs, such as Android's "
            + "libcutils in memfd mode), ashmemd (this daemon's regions and device). SIZE is mapped, RSS resident, "
            + "PSS resident shared fairly among mappers (it adds up across processes), SWAP swapped out; MAPS and "
            + "FDS count mappings and open fds."})
final class ScanCommand implements Callable<Integer> {
    enum By { process, container }

    enum Sort { size, rss, pss, swap }

    enum Kind { kernel, memfd, ashmemd }

    @Spec
    CommandSpec spec;

    @Mixin
    ProcOptions procOptions;

    @Option(names = "--by", paramLabel = "WHAT", defaultValue = "process",
            description = "One row per ${COMPLETION-CANDIDATES} and kind (default: ${DEFAULT-VALUE}).")
    By by;

    @Option(names = "--top", paramLabel = "N", defaultValue = "0",
            description = "Only the N largest processes (or containers); 0 for all (default).")
    int top;

    @Option(names = "--kind", paramLabel = "KIND", split = ",",
            description = "Only these kinds: ${COMPLETION-CANDIDATES} (repeatable or comma separated; default: all).")
    List<Kind> kinds;

    @Option(names = "--sort", paramLabel = "KEY", defaultValue = "pss",
            description = "Largest first by ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Sort sort;

    @Option(names = "--json", description = "Print JSON (exact bytes) instead of a table.")
    boolean json;

    private final Function<ProcOptions, ProcScanner> scanners;

    ScanCommand() {
        this(ProcOptions::scanner);
    }

    /** With another way to build the scanner, for tests. */
    ScanCommand(Function<ProcOptions, ProcScanner> scanners) {
        this.scanners = scanners;
    }

    @Override
    public Integer call() throws Exception {
        if (top < 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--top must be 0 or more, not " + top);
        }
        Set<AshmemKind> wanted = selectedKinds(kinds);
        SortKey key = SortKey.valueOf(sort.name().toUpperCase(java.util.Locale.ROOT));
        ScanResult r = scanners.apply(procOptions).scan(wanted);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonOutput.print(out, Json.of(r, wanted, key, by, top));
        } else if (by == By.container) {
            containerTable(out, r, key);
        } else {
            processTable(out, r, key);
        }
        out.flush();
        if (r.stats().denied() > 0) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(spec.qualifiedName() + ": " + ScanStats.unreadable(r.stats().denied()));
            err.flush();
        }
        return Sysexits.OK;
    }

    static Set<AshmemKind> selectedKinds(List<Kind> kinds) {
        if (kinds == null || kinds.isEmpty()) {
            return AshmemKind.all();
        }
        Set<AshmemKind> s = EnumSet.noneOf(AshmemKind.class);
        for (Kind k : kinds) {
            s.add(AshmemKind.parse(k.name()));
        }
        return s;
    }

    private void processTable(PrintWriter out, ScanResult r, SortKey key) {
        List<ProcessFootprint> rows = limit(r.sorted(key));
        Table t = new Table("PID>", "COMM", "CONTAINER", "KIND", "SIZE>", "RSS>", "PSS>", "SWAP>", "MAPS>", "FDS>");
        for (ProcessFootprint p : rows) {
            p.kinds().forEach((k, u) -> t.row(p.pid(), p.comm(), host(p.container()), k.label(), ByteSize.format(u.sizeBytes()),
                    ByteSize.format(u.rssBytes()), ByteSize.format(u.pssBytes()), ByteSize.format(u.swapBytes()), u.mappings(),
                    u.fds()));
        }
        if (t.size() > 0) {
            t.print(out);
        }
        Usage all = Usage.ZERO;
        for (ProcessFootprint p : r.processes()) {
            all = all.plus(p.total());
        }
        out.printf("%d of %d processes use ashmem memory%s: size %s, rss %s, pss %s, swap %s%n", r.processes().size(),
                r.stats().processes(), rows.size() < r.processes().size() ? " (" + rows.size() + " shown)" : "",
                ByteSize.format(all.sizeBytes()), ByteSize.format(all.rssBytes()), ByteSize.format(all.pssBytes()),
                ByteSize.format(all.swapBytes()));
    }

    private void containerTable(PrintWriter out, ScanResult r, SortKey key) {
        List<ContainerFootprint> rows = limit(r.containers(key));
        Table t = new Table("CONTAINER", "PROCS>", "KIND", "SIZE>", "RSS>", "PSS>", "SWAP>", "MAPS>", "FDS>");
        for (ContainerFootprint c : rows) {
            c.kinds().forEach((k, u) -> t.row(host(c.container()), c.processes(), k.label(), ByteSize.format(u.sizeBytes()),
                    ByteSize.format(u.rssBytes()), ByteSize.format(u.pssBytes()), ByteSize.format(u.swapBytes()), u.mappings(),
                    u.fds()));
        }
        if (t.size() > 0) {
            t.print(out);
        }
        out.printf("%d containers (host included) with %d processes using ashmem memory%n", r.containers(key).size(),
                r.processes().size());
    }

    /**
     * What {@code scan --json} prints; the records are serialised as they are (their field names
     * are ashmemctl's interface). {@code containers} or {@code processes}, as {@code by} says.
     */
    @JsonPropertyOrder({"by", "sort", "kinds", "containers", "processes", "stats"})
    record Json(String by, String sort, List<AshmemKind> kinds,
            @JsonInclude(JsonInclude.Include.NON_NULL) List<ContainerFootprint> containers,
            @JsonInclude(JsonInclude.Include.NON_NULL) List<ProcessFootprint> processes, ScanStats stats) {
        static Json of(ScanResult r, Set<AshmemKind> wanted, SortKey key, By by, int top) {
            List<AshmemKind> kinds = Arrays.stream(AshmemKind.values()).filter(wanted::contains).toList();
            return by == By.container
                    ? new Json(by.name(), key.label(), kinds, limit(r.containers(key), top), null, r.stats())
                    : new Json(by.name(), key.label(), kinds, null, limit(r.sorted(key), top), r.stats());
        }
    }

    private <T> List<T> limit(List<T> all) {
        return limit(all, top);
    }

    private static <T> List<T> limit(List<T> all, int top) {
        return top > 0 && all.size() > top ? all.subList(0, top) : all;
    }

    static String host(String container) {
        return container.isEmpty() ? "host" : container;
    }
}
