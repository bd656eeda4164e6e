package org.ashmemd.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ashmemd.cmdline.DurationConverter;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.units.ByteSize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "top", mixinStandardHelpOptions = true, versionProvider = org.ashmemd.cmdline.Version.Provider.class, description = "A live view of the processes holding regions, refreshed until interrupted.")
final class TopCommand implements Callable<Integer> {
    enum SortKey { resident, size, regions, unpinned, growth }

    @Spec
    CommandSpec spec;

    @Mixin
    AdminOptions admin;

    @Option(names = "--sort", paramLabel = "KEY", defaultValue = "resident",
            description = "Sort by ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SortKey sort;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "Time between refreshes; a bare number is seconds (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = {"-n", "--iterations"}, paramLabel = "N", defaultValue = "0",
            description = "Stop after N refreshes (default: until interrupted).")
    int iterations;

    @Option(names = "--lines", paramLabel = "N", defaultValue = "20", description = "Rows to show (default: ${DEFAULT-VALUE}).")
    int lines;

    /** One row: a process and what its regions add up to. */
    static final class Row {
        int pid;
        String comm = "?";
        String container = "host";
        int regions;
        long size;
        long resident;
        long unpinned;
        long growth;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<Integer, Long> previous = Map.of();
        for (int i = 0; iterations == 0 || i < iterations; i++) {
            if (i > 0) {
                Thread.sleep(interval.toMillis());
            }
            List<RegionInfo> regions = AdminProtocol.json().convertValue(admin.client().call(AdminProtocol.REGIONS),
                    new TypeReference<List<RegionInfo>>() { });
            List<Row> rows = rows(regions, previous);
            Map<Integer, Long> now = new LinkedHashMap<>();
            rows.forEach(r -> now.put(r.pid, r.resident));
            previous = now;
            if (!admin.json) {
                out.print("\033[H\033[2J"); // home and clear: a terminal redraw, harmless in a pipe
            }
            render(out, regions, rows);
            out.flush();
        }
        return 0;
    }

    List<Row> rows(List<RegionInfo> regions, Map<Integer, Long> previous) {
        Map<Integer, Row> byPid = new LinkedHashMap<>();
        for (RegionInfo r : regions) {
            Row row = byPid.computeIfAbsent(r.opener().pid(), p -> new Row());
            row.pid = r.opener().pid();
            row.comm = r.opener().processName() + (r.openerAlive() ? "" : " (gone)");
            row.container = r.opener().container().isEmpty() ? "host" : r.opener().container();
            row.regions++;
            row.size += r.size();
            row.resident += r.residentBytes();
            row.unpinned += r.unpinnedBytes();
        }
        for (Row row : byPid.values()) {
            row.growth = row.resident - previous.getOrDefault(row.pid, row.resident);
        }
        Comparator<Row> order;
        switch (sort) {
            case size: order = Comparator.comparingLong(r -> r.size); break;
            case regions: order = Comparator.comparingInt(r -> r.regions); break;
            case unpinned: order = Comparator.comparingLong(r -> r.unpinned); break;
            case growth: order = Comparator.comparingLong(r -> r.growth); break;
            default: order = Comparator.comparingLong(r -> r.resident); break;
        }
        return byPid.values().stream().sorted(order.reversed().thenComparingInt(r -> r.pid)).toList();
    }

    private void render(PrintWriter out, List<RegionInfo> regions, List<Row> rows) throws Exception {
        if (admin.json) {
            JsonOutput.printLine(out, (rows.stream().map(r -> Map.of("pid", r.pid,
                    "comm", r.comm, "container", r.container, "regions", r.regions, "sizeBytes", r.size,
                    "residentBytes", r.resident, "unpinnedBytes", r.unpinned, "growthBytes", r.growth)).toList()));
            return;
        }
        out.printf("ashmemctl top - %s - %d regions, %s declared, %s resident, sorted by %s%n%n",
                LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")), regions.size(),
                ByteSize.format(regions.stream().mapToLong(RegionInfo::size).sum()),
                ByteSize.format(regions.stream().mapToLong(RegionInfo::residentBytes).sum()), sort);
        Table t = new Table("PID>", "COMM", "CONTAINER", "REGIONS>", "SIZE>", "RESIDENT>", "UNPINNED>", "GROWTH>");
        rows.stream().limit(lines).forEach(r -> t.row(r.pid, r.comm, r.container, r.regions, ByteSize.format(r.size),
                ByteSize.format(r.resident), ByteSize.format(r.unpinned), (r.growth >= 0 ? "+" : "-") + ByteSize.format(Math.abs(r.growth))));
        t.print(out);
    }
}
