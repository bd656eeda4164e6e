package org.ashmemd.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.ashmemd.control.Opener;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.leaks.LeakSampler;
import org.ashmemd.procscan.AshmemClassifier;
import org.ashmemd.procscan.AshmemKind;
import org.ashmemd.procscan.DeviceNumber;
import org.ashmemd.procscan.ProcFixtures;
import org.ashmemd.procscan.ProcScanner;
import org.ashmemd.procscan.ProcessFootprint;
import org.ashmemd.procscan.RegionUse;
import org.ashmemd.procscan.ScanResult;
import org.ashmemd.procscan.ScanStats;
import org.ashmemd.procscan.SortKey;
import org.ashmemd.procscan.Usage;
import org.ashmemd.text.Escape;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import static org.ashmemd.leaks.LeakSamples.K;
import static org.ashmemd.leaks.LeakSamples.T0;
import static org.ashmemd.leaks.LeakSamples.held;
import static org.ashmemd.leaks.LeakSamples.mapped;
import static org.ashmemd.leaks.LeakSamples.mappedOnce;
import static org.ashmemd.leaks.LeakSamples.proc;
import static org.ashmemd.leaks.LeakSamples.process;
import static org.ashmemd.leaks.LeakSamples.region;
import static org.ashmemd.leaks.LeakSamples.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The exact bytes of {@code scan --json} and {@code leaks --json}, compared with golden files
 * (src/test/resources/org/ashmemd/cli/golden): field names, order, numbers, nulls and escaping
 * are ashmemctl's interface. Names are hostile: ESC, newline, C1, bidi override, invalid UTF-8.
 */
class JsonGoldenTest {
    /** ESC sequence, newline, CSI (C1), RLO, and bytes that are not UTF-8 (decoded losslessly). */
    static final String HOSTILE = "ev\u001b[31mil\nline\u009b2J\u202e" + Escape.decodeLossless(
            new byte[] {'x', (byte) 0xff, (byte) 0xc3, '(', 'y'});

    private static String golden(String name) throws IOException {
        try (InputStream in = JsonGoldenTest.class.getResourceAsStream("golden/" + name)) {
            String actual = in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return actual;
        }
    }

    /** Every char (UTF-16 unit, lone surrogates included) outside printable ASCII as {@code <U+XXXX>}. */
    private static String visible(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n' || c >= 0x20 && c < 0x7F && c != '<') {
                b.append(c);
            } else {
                b.append(String.format("<U+%04X>", (int) c));
            }
        }
        return b.toString();
    }

    private static void assertGolden(String name, String output) throws IOException {
        String actual = visible(output);
        Path dump = Path.of("target", "golden-actual", name);
        Files.createDirectories(dump.getParent());
        Files.writeString(dump, actual, StandardCharsets.UTF_8);
        String expected = golden(name);
        assertEquals(expected, actual, "golden/" + name + " (actual output in " + dump + ")");
    }

    // ---- scan: the records themselves, by hand, hostile names and nulls included

    static ProcessFootprint hostileProcess() {
        Map<AshmemKind, Usage> kinds = new EnumMap<>(AshmemKind.class);
        kinds.put(AshmemKind.ASHMEMD, new Usage(3 * 4096, 2 * 4096, 4096 + 1, 7, 3, 2, 1));
        kinds.put(AshmemKind.KERNEL, new Usage(Long.MAX_VALUE / 4, 0, 0, 0, 0, 1, 0));
        return new ProcessFootprint(Integer.MAX_VALUE, HOSTILE, 10061, "way\u001bdroid", null, true, kinds,
                List.of(new RegionUse(AshmemKind.ASHMEMD, HOSTILE, 7007, new Usage(8192, 4096, 4097, 7, 3, 2, 1), 8192),
                        new RegionUse(AshmemKind.KERNEL, "", -1, new Usage(Long.MAX_VALUE / 4, 0, 0, 0, 0, 1, 0), -1)));
    }

    static ProcessFootprint plainProcess() {
        return new ProcessFootprint(42, null, 0, "", "/", false, Map.of(), List.of());
    }

    private static String scanJson(ScanResult r, ScanCommand.By by) throws Exception {
        StringWriter s = new StringWriter();
        JsonOutput.print(new PrintWriter(s, true), render(r, by));
        return s.toString();
    }

    /** The document scan --json prints. */
    private static Object render(ScanResult r, ScanCommand.By by) {
        return ScanCommand.Json.of(r, AshmemKind.all(), SortKey.PSS, by, 0);
    }

    @Test
    void scanRecords() throws Exception {
        ScanResult r = new ScanResult(List.of(hostileProcess(), plainProcess()),
                new ScanStats(100, 2, 1, 3, 4, 1_234_567_890L), AshmemKind.all());
        assertGolden("scan-processes.json", scanJson(r, ScanCommand.By.process));
        assertGolden("scan-containers.json", scanJson(r, ScanCommand.By.container));
    }

    // ---- scan: end to end over the fixture tree (pids and elapsed time normalised)

    private static String runScan(String... args) throws IOException {
        Path dir = Files.createTempDirectory("scan-golden");
        try {
            ProcFixtures.Tree tree = ProcFixtures.host(dir);
            var io = ProcFixtures.io(tree);
            StringWriter out = new StringWriter();
            CommandLine cl = ExitCodes.install(new CommandLine(new AshmemCtl(), new CommandLine.IFactory() {
                @Override
                public <K> K create(Class<K> cls) throws Exception {
                    if (cls == ScanCommand.class) {
                        return cls.cast(new ScanCommand(o -> new ProcScanner(o.proc,
                                new AshmemClassifier(o.device, DeviceNumber.ofCuseDevice(o.sys, o.device).orElse(null)),
                                io)));
                    }
                    return CommandLine.defaultFactory().create(cls);
                }
            }));
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(new StringWriter(), true));
            List<String> all = new ArrayList<>(List.of("scan", "--proc", tree.proc().toString(), "--sys",
                    tree.sys().toString()));
            all.addAll(Arrays.asList(args));
            assertEquals(0, cl.execute(all.toArray(new String[0])));
            return out.toString().replaceAll("\"elapsedMillis\" : \\d+", "\"elapsedMillis\" : N")
                    .replace(": " + tree.mapper() + ",", ": MAPPER,").replace(": " + tree.holder() + ",", ": HOLDER,")
                    .replace(": " + tree.sleeper() + ",", ": SLEEPER,");
        } finally {
            ProcFixtures.delete(dir);
        }
    }

    @Test
    void scanCommand() throws Exception {
        assertGolden("scan-fixture.json", runScan("--json"));
        assertGolden("scan-fixture-container.json", runScan("--json", "--by", "container", "--kind", "ashmemd,memfd",
                "--sort", "size", "--top", "1"));
    }

    // ---- leaks: end to end with a fake sampler

    private static String runLeaks(List<LeakSampler.Sample> samples, String... args) {
        Deque<LeakSampler.Sample> queue = new ArrayDeque<>(samples);
        LeaksCommand leaks = new LeaksCommand(c -> () -> queue.removeFirst(), d -> { });
        StringWriter out = new StringWriter();
        CommandLine cl = ExitCodes.install(new CommandLine(new AshmemCtl(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == LeaksCommand.class ? cls.cast(leaks) : CommandLine.defaultFactory().create(cls);
            }
        }));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        List<String> all = new ArrayList<>(List.of("leaks", "--json"));
        all.addAll(List.of(args));
        cl.execute(all.toArray(new String[0]));
        return out.toString();
    }

    @Test
    void leaksCommand() throws Exception {
        byte[] raw = {'b', 'a', 'd', (byte) 0xff, 0x1b, '\n'};
        RegionInfo invalid = new RegionInfo(9, new String(raw, StandardCharsets.UTF_8), Escape.hex(raw), 16 * K, 3,
                false, -1, 0, 0, 0, List.of(), null, false, T0 - 900_000);
        RegionInfo orphan = new RegionInfo(7, HOSTILE, null, 64 * K, 3, true, 7007, 64 * K, 0, 0, List.of(),
                new Opener(4242, 4243, "app\u001b", "worker", 10061, "/lxc.payload.waydroid", "way\ndroid"), false,
                T0 - 2000);
        List<RegionInfo> daemon = List.of(region(1, "never", 4 * K, false, 0, 300, true, T0 - 600_000), invalid, orphan);
        List<LeakSampler.Sample> samples = List.of(
                sample(T0, proc(
                        process(1, "ashmemd", "ashmemd.service", true, 0, held(AshmemKind.ASHMEMD, HOSTILE, 7007, 64 * K)),
                        process(500, HOSTILE, "waydroid", false, 0, held(AshmemKind.ASHMEMD, HOSTILE, 7007, 64 * K)),
                        process(600, "composer", null, false, 2, mappedOnce(7007, HOSTILE, 64 * K)),
                        process(4244, "grower", "way\u001bdroid", false, 0, mapped(AshmemKind.MEMFD, HOSTILE, 1, 2, 512 * K))),
                        daemon),
                sample(T0 + 10_000, proc(
                        process(1, "ashmemd", "ashmemd.service", true, 0, held(AshmemKind.ASHMEMD, HOSTILE, 7007, 64 * K)),
                        process(500, HOSTILE, "waydroid", false, 0, held(AshmemKind.ASHMEMD, HOSTILE, 7007, 64 * K)),
                        process(600, "composer", null, false, 2, mappedOnce(7007, HOSTILE, 64 * K)),
                        process(4244, "grower", "way\u001bdroid", false, 0, mapped(AshmemKind.MEMFD, HOSTILE, 1, 12, 512 * K))),
                        daemon),
                sample(T0 + 20_500, proc(
                        process(1, "ashmemd", "ashmemd.service", true, 0, held(AshmemKind.ASHMEMD, HOSTILE, 7007, 64 * K)),
                        process(500, HOSTILE, "waydroid", false, 0, held(AshmemKind.ASHMEMD, HOSTILE, 7007, 64 * K)),
                        process(600, "composer", null, false, 2, mappedOnce(7007, HOSTILE, 64 * K)),
                        process(4244, "grower", "way\u001bdroid", false, 0, mapped(AshmemKind.MEMFD, HOSTILE, 1, 20, 512 * K))),
                        daemon));
        assertGolden("leaks-findings.json", runLeaks(samples, "--samples", "3", "--interval", "10s",
                "--unmapped-for", "5m"));
        assertGolden("leaks-proc-only.json", runLeaks(List.of(sample(T0, proc(), null)), "--samples", "1"));
    }
}
