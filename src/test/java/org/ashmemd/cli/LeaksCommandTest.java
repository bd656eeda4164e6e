package org.ashmemd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.leaks.LeakSampler;
import org.ashmemd.procscan.AshmemKind;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import static org.ashmemd.leaks.LeakSamples.K;
import static org.ashmemd.leaks.LeakSamples.M;
import static org.ashmemd.leaks.LeakSamples.T0;
import static org.ashmemd.leaks.LeakSamples.held;
import static org.ashmemd.leaks.LeakSamples.mapped;
import static org.ashmemd.leaks.LeakSamples.mappedOnce;
import static org.ashmemd.leaks.LeakSamples.proc;
import static org.ashmemd.leaks.LeakSamples.process;
import static org.ashmemd.leaks.LeakSamples.region;
import static org.ashmemd.leaks.LeakSamples.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `ashmemctl leaks` with a fake sampler: no /proc, no daemon, no waiting. */
class LeaksCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<Duration> slept = new ArrayList<>();
    private final Deque<LeakSampler.Sample> queue = new ArrayDeque<>();
    private LeaksCommand used;

    private int run(String... args) {
        LeaksCommand leaks = new LeaksCommand(c -> {
            used = c;
            return () -> queue.isEmpty() ? sample(T0 + 999_999, null, null) : queue.removeFirst();
        }, slept::add);
        CommandLine cl = ExitCodes.install(new CommandLine(new AshmemCtl(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == LeaksCommand.class ? cls.cast(leaks) : CommandLine.defaultFactory().create(cls);
            }
        }));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("leaks"));
        all.addAll(List.of(args));
        return cl.execute(all.toArray(new String[0]));
    }

    private void growingApp() {
        queue.add(sample(T0, proc(process(4242, "app", "waydroid", false, 0,
                mapped(AshmemKind.ASHMEMD, "frames", 1, 2, 512 * K))), null));
        queue.add(sample(T0 + 10_000, proc(process(4242, "app", "waydroid", false, 0,
                mapped(AshmemKind.ASHMEMD, "frames", 1, 12, 512 * K))), null));
    }

    @Test
    void growthFoundExitsOne() {
        growingApp();
        assertEquals(Sysexits.FOUND, run("--interval", "10s"));
        assertEquals(List.of(Duration.ofSeconds(10)), slept);
        String text = out.toString();
        assertTrue(text.startsWith("Processes whose ashmem memory only grew:\n"), text);
        List<String> lines = text.lines().toList();
        assertEquals("PID  COMM  CONTAINER  REGIONS  BYTES", lines.get(1).trim().replaceAll(" {2,}", "  "));
        assertEquals("4242  app  waydroid  2 -> 12 (+10)  1.0M -> 6.0M (+5.0M)", lines.get(2).trim().replaceAll(" {2,}", "  "));
        assertTrue(text.contains("Region names whose count or size only grew:"), text);
        assertTrue(text.contains("ashmemd  frames  proc  2 -> 12 (+10)"), text.replaceAll(" {2,}", "  "));
        assertTrue(text.endsWith("2 leaks found (2 samples over 10s, from /proc)\n"), text);
        assertTrue(err.toString().contains("ashmemctl leaks: 2 samples, 10s apart"), err.toString());
        assertTrue(err.toString().contains("the daemon's regions were not read: ashmemd is not running"), err.toString());
    }

    @Test
    void nothingFoundExitsZero() {
        queue.add(sample(T0, proc(process(4242, "app", "", false, 0, mapped(AshmemKind.MEMFD, "x", 1, 3, M))), null));
        queue.add(sample(T0 + 30_000, proc(process(4242, "app", "", false, 0, mapped(AshmemKind.MEMFD, "x", 1, 3, M))),
                null));
        assertEquals(0, run());
        assertEquals(List.of(Duration.ofSeconds(30)), slept, "the default interval");
        assertEquals("no leaks found (2 samples over 30s, from /proc)\n", out.toString());
    }

    @Test
    void thresholdsFromTheCommandLine() {
        growingApp();
        assertEquals(0, run("--min-growth", "8M", "--min-count-growth", "11"));
        growingApp();
        out.getBuffer().setLength(0);
        assertEquals(1, run("--min-growth", "5M", "--min-count-growth", "11"));
        assertEquals(5 * M, used.minGrowth);
    }

    @Test
    void unmappedAndOrphanedRegionsFromTheDaemon() {
        List<RegionInfo> daemon = List.of(
                region(1, "never", 4 * K, false, 0, 300, true, T0 - 600_000),
                region(7, "", 64 * K, true, 7007, 4242, false, T0 - 2000));
        queue.add(sample(T0, proc(
                process(1, "ashmemd", "ashmemd.service", true, 0, held(AshmemKind.ASHMEMD, "", 7007, 64 * K)),
                process(500, "surfaceflinger", "waydroid", false, 0, held(AshmemKind.ASHMEMD, "", 7007, 64 * K)),
                process(600, "composer", "waydroid", false, 0, mappedOnce(7007, "", 64 * K))), daemon));
        assertEquals(1, run("--samples", "1", "--unmapped-for", "5m"));
        assertEquals(List.of(), slept);
        String text = out.toString().replaceAll(" {2,}", "  ");
        assertTrue(text.contains("Regions mapped by nobody for at least 5m00s:\n"), text);
        assertTrue(text.contains("1  never  4.0K  10m00s  never mapped  300 app300 (waydroid)\n"), text);
        assertTrue(text.contains("Regions whose opener has exited, still held:\n"), text);
        assertTrue(text.contains("7  (unnamed)  64.0K  2s  4242 app4242 (waydroid) exited  500 surfaceflinger  600 composer\n"),
                text);
        assertTrue(text.endsWith("2 leaks found (1 sample, from /proc and the daemon)\n"), text);
        assertTrue(err.toString().contains("one sample: growth needs --samples 2 or more"), err.toString());
    }

    @Test
    void json() throws Exception {
        growingApp();
        assertEquals(1, run("--json", "--interval", "10s"));
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(2, j.get("samples").asInt());
        assertEquals(10_000, j.get("intervalMillis").asLong());
        assertEquals(10_000, j.get("spanMillis").asLong());
        assertEquals(true, j.get("proc").asBoolean());
        assertEquals(false, j.get("daemon").asBoolean());
        assertEquals(2, j.get("leaks").asInt());
        JsonNode p = j.get("growingProcesses").get(0);
        assertEquals(4242, p.get("pid").asInt());
        assertEquals("app", p.get("comm").asText());
        assertEquals("waydroid", p.get("container").asText());
        assertEquals("[2,12]", p.get("counts").toString());
        assertEquals("[1048576,6291456]", p.get("bytes").toString());
        assertEquals(10, p.get("countGrowth").asLong());
        assertEquals(5 * M, p.get("byteGrowth").asLong());
        JsonNode r = j.get("growingRegions").get(0);
        assertEquals("ashmemd", r.get("kind").asText());
        assertEquals("frames", r.get("name").asText());
        assertEquals("proc", r.get("source").asText());
        assertEquals(0, j.get("unmapped").size());
        assertEquals(0, j.get("openerGone").size());
        assertTrue(j.get("notes").get(0).asText().startsWith("the daemon's regions were not read"));
        assertEquals("", err.toString(), "--json keeps stderr quiet");
    }

    @Test
    void jsonOfDaemonFindings() throws Exception {
        List<RegionInfo> daemon = List.of(region(7, "frames", 64 * K, true, 7007, 4242, false, T0 - 600_000));
        queue.add(sample(T0, proc(process(500, "surfaceflinger", "waydroid", false, 0,
                held(AshmemKind.ASHMEMD, "frames", 7007, 64 * K))), daemon));
        assertEquals(1, run("--json", "--samples", "1"));
        JsonNode j = new ObjectMapper().readTree(out.toString());
        JsonNode u = j.get("unmapped").get(0);
        assertEquals(7, u.get("id").asLong());
        assertEquals(false, u.get("neverMapped").asBoolean());
        assertEquals(600_000, u.get("ageMillis").asLong());
        assertEquals(4242, u.get("opener").get("pid").asInt());
        assertEquals(false, u.get("opener").get("alive").asBoolean());
        JsonNode g = j.get("openerGone").get(0);
        assertEquals(7007, g.get("inode").asLong());
        assertEquals(500, g.get("holders").get(0).get("pid").asInt());
        assertEquals(1, g.get("holders").get(0).get("fds").asInt());
        assertEquals(0, g.get("mappers").size());
        assertEquals(2, j.get("leaks").asInt());
    }

    @Test
    void neitherProcNorDaemonExits69() {
        queue.add(sample(T0, null, null));
        queue.add(sample(T0 + 1, null, null));
        assertEquals(Sysexits.UNAVAILABLE, run("--interval", "0"));
        assertTrue(err.toString().contains("ashmemctl leaks: neither /proc nor the daemon could be read: "
                + "cannot read /proc: gone; ashmemd is not running"), err.toString());
        assertEquals("", out.toString());
    }

    @Test
    void usageErrorsExit64() {
        assertEquals(Sysexits.USAGE, run("--samples", "0"));
        assertEquals(Sysexits.USAGE, run("--interval", "soon"));
        assertTrue(err.toString().contains("'soon' is not a duration"), err.toString());
        assertEquals(Sysexits.USAGE, run("--min-growth", "lots"));
        assertEquals(Sysexits.USAGE, run("--min-count-growth", "0"));
        assertEquals(List.of(), slept, "no sampling on a usage error");
    }

    @Test
    void optionsReachTheSampler() {
        queue.add(sample(T0, proc(), null));
        assertEquals(0, run("--samples", "1", "--no-daemon", "--device", "ashmem2", "--socket", "/tmp/x.sock"));
        assertTrue(used.noDaemon);
        assertEquals("ashmem2", used.procOptions.device);
        assertEquals("/tmp/x.sock", used.admin.socket.toString());
    }

    @Test
    void registeredInAshmemctl() {
        CommandLine cl = new CommandLine(new AshmemCtl());
        assertTrue(cl.getSubcommands().containsKey("leaks"));
        assertTrue(cl.getSubcommands().containsKey("scan"));
    }
}
