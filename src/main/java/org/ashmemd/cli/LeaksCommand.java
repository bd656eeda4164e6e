package org.ashmemd.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.ashmemd.cmdline.DurationConverter;
import org.ashmemd.cmdline.SizeConverter;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.cmdline.Version;
import org.ashmemd.control.Opener;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.leaks.LeakFinder;
import org.ashmemd.leaks.LeakSampler;
import org.ashmemd.procscan.FdHolder;
import org.ashmemd.procscan.ProcUnavailableException;
import org.ashmemd.procscan.RegionMapper;
import org.ashmemd.text.Escape;
import org.ashmemd.units.ByteSize;
import org.ashmemd.units.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

@Command(name = "leaks", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class, description = {
    "Look for ashmem memory that leaks: samples /proc (and the daemon's regions when it answers) over time "
            + "and reports what only grows, regions mapped by nobody, and regions whose opener has exited."},
        exitCodeListHeading = "Exit status:%n",
        exitCodeList = {"0:nothing found", "1:leaks found", "64:usage error", "69:neither /proc nor the daemon could be read"})
final class LeaksCommand implements Callable<Integer> {
    /** Waits between samples. */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ProcOptions procOptions;

    @Mixin
    AdminOptions admin;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "Time between samples, e.g. 10s, 5m (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "2",
            description = "Samples to take (default: ${DEFAULT-VALUE}); growth needs 2 or more and must hold "
                    + "across all of them.")
    int samples;

    @Option(names = "--min-growth", paramLabel = "SIZE", defaultValue = "1M", converter = SizeConverter.class,
            description = "Bytes a process or region name must gain, first to last sample (default: ${DEFAULT-VALUE}).")
    long minGrowth;

    @Option(names = "--min-count-growth", paramLabel = "N", defaultValue = "8",
            description = "Or regions it must gain (default: ${DEFAULT-VALUE}).")
    int minCountGrowth;

    @Option(names = "--unmapped-for", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
            description = "Report regions mapped by nobody and at least this old (default: ${DEFAULT-VALUE}).")
    Duration unmappedFor;

    @Option(names = "--no-daemon", description = "Do not ask the daemon; judge /proc alone.")
    boolean noDaemon;

    private final Function<LeaksCommand, LeakSampler> samplers;
    private final Sleeper sleeper;

    LeaksCommand() {
        this(c -> LeakSampler.of(c.procOptions.scanner(), c.noDaemon ? null : c.admin.client(),
                System::currentTimeMillis), d -> Thread.sleep(d.toMillis()));
    }

    /** With other samples and clock, for tests. */
    LeaksCommand(Function<LeaksCommand, LeakSampler> samplers, Sleeper sleeper) {
        this.samplers = samplers;
        this.sleeper = sleeper;
    }

    @Override
    public Integer call() throws Exception {
        if (samples < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--samples must be 1 or more, not " + samples);
        }
        if (minCountGrowth < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--min-count-growth must be 1 or more, not " + minCountGrowth);
        }
        LeakSampler sampler = samplers.apply(this);
        PrintWriter err = spec.commandLine().getErr();
        if (samples > 1 && !admin.json) {
            err.printf("%s: %d samples, %s apart%n", spec.qualifiedName(), samples, human(interval));
            err.flush();
        }
        List<LeakSampler.Sample> taken = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            if (i > 0) {
                sleeper.sleep(interval);
            }
            taken.add(sampler.sample());
        }
        if (taken.stream().allMatch(s -> s.proc() == null && s.regions() == null)) {
            LeakSampler.Sample s = taken.get(0);
            throw new ProcUnavailableException("neither /proc nor the daemon could be read: " + s.procError() + "; "
                    + s.daemonError(), null);
        }
        LeakFinder.Report r = LeakFinder.find(taken,
                new LeakFinder.Criteria(minGrowth, minCountGrowth, unmappedFor.toMillis()), interval.toMillis());
        PrintWriter out = spec.commandLine().getOut();
        if (admin.json) {
            JsonOutput.print(out, r);
        } else {
            for (String note : r.notes()) {
                err.println(spec.qualifiedName() + ": " + Escape.text(note));
            }
            err.flush();
            render(out, r);
        }
        out.flush();
        return r.findings() > 0 ? Sysexits.FOUND : Sysexits.OK;
    }

    private void render(PrintWriter out, LeakFinder.Report r) {
        boolean first = true;
        if (!r.processes().isEmpty()) {
            first = heading(out, first, "Processes whose ashmem memory only grew:");
            Table t = new Table("PID>", "COMM", "CONTAINER", "REGIONS", "BYTES");
            for (LeakFinder.ProcessGrowth g : r.processes()) {
                t.row(g.pid(), g.comm(), ScanCommand.host(g.container()), counts(g.series()), bytes(g.series()));
            }
            t.print(out);
        }
        if (!r.regions().isEmpty()) {
            first = heading(out, first, "Region names whose count or size only grew:");
            Table t = new Table("KIND", "NAME", "FROM", "REGIONS", "BYTES");
            for (LeakFinder.RegionGrowth g : r.regions()) {
                t.row(g.kind().label(), name(g.name()), g.source(), counts(g.series()), bytes(g.series()));
            }
            t.print(out);
        }
        if (!r.unmapped().isEmpty()) {
            first = heading(out, first, "Regions mapped by nobody for at least " + human(unmappedFor) + ":");
            Table t = new Table("ID>", "NAME", "SIZE>", "AGE>", "STATE", "OPENER");
            for (LeakFinder.Unmapped u : r.unmapped()) {
                RegionInfo x = u.region();
                t.row(x.id(), name(x.displayName()), ByteSize.format(x.size()), Durations.format(u.ageMillis() / 1000),
                        u.neverMapped() ? "never mapped" : "no longer mapped", opener(x));
            }
            t.print(out);
        }
        if (!r.openerGone().isEmpty()) {
            first = heading(out, first, "Regions whose opener has exited, still held:");
            Table t = new Table("ID>", "NAME", "SIZE>", "AGE>", "OPENER", "HELD BY", "MAPPED BY");
            for (LeakFinder.OpenerGone g : r.openerGone()) {
                RegionInfo x = g.region();
                t.row(x.id(), name(x.displayName()), ByteSize.format(x.size()), Durations.format(g.ageMillis() / 1000),
                        opener(x), g.procSeen() ? holders(g.holders()) : "?", g.procSeen() ? mappers(g.mappers()) : "?");
            }
            t.print(out);
        }
        if (!first) {
            out.println();
        }
        String over = r.samples() > 1 ? r.samples() + " samples over " + human(Duration.ofMillis(r.spanMillis()))
                : "1 sample";
        String from = r.procSeen() && r.daemonSeen() ? "/proc and the daemon" : r.procSeen() ? "/proc" : "the daemon";
        int n = r.findings();
        out.printf("%s found (%s, from %s)%n", n == 0 ? "no leaks" : n == 1 ? "1 leak" : n + " leaks", over, from);
    }

    private static boolean heading(PrintWriter out, boolean first, String title) {
        if (!first) {
            out.println();
        }
        out.println(title);
        return false;
    }

    private static String counts(LeakFinder.Series s) {
        return s.counts().get(0) + " -> " + s.counts().get(s.counts().size() - 1) + " (" + signed(s.countGrowth()) + ")";
    }

    private static String bytes(LeakFinder.Series s) {
        long g = s.byteGrowth();
        return ByteSize.format(s.bytes().get(0)) + " -> " + ByteSize.format(s.bytes().get(s.bytes().size() - 1)) + " ("
                + (g < 0 ? "-" + ByteSize.format(-g) : "+" + ByteSize.format(g)) + ")";
    }

    private static String signed(long v) {
        return v < 0 ? Long.toString(v) : "+" + v;
    }

    private static String name(String n) {
        return n.isEmpty() ? "(unnamed)" : n;
    }

    private static String opener(RegionInfo r) {
        Opener o = r.opener();
        if (o == null) {
            return "?";
        }
        return o.pid() + " " + o.processName() + (o.container().isEmpty() ? "" : " (" + o.container() + ")")
                + (r.openerAlive() ? "" : " exited");
    }

    private static String holders(List<FdHolder> hs) {
        return hs.isEmpty() ? "device fd only" : hs.stream().map(h -> h.pid() + " " + h.comm())
                .collect(Collectors.joining(", "));
    }

    private static String mappers(List<RegionMapper> ms) {
        return ms.isEmpty() ? "nobody" : ms.stream().map(m -> m.pid() + " " + m.comm()).collect(Collectors.joining(", "));
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000 && ms % 1000 != 0) {
            return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        return Durations.format(ms / 1000);
    }
}
