package org.ashmemd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.procscan.AshmemClassifier;
import org.ashmemd.procscan.DeviceNumber;
import org.ashmemd.procscan.ProcFixtures;
import org.ashmemd.procscan.ProcIo;
import org.ashmemd.procscan.ProcScanner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `ashmemctl scan` over the fixture tree, as a user runs it. */
class ScanCommandTest {
    private Path dir;
    private ProcFixtures.Tree tree;
    private ProcIo io;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void copyTree() throws IOException {
        dir = Files.createTempDirectory("scan-command");
        tree = ProcFixtures.host(dir);
        io = ProcFixtures.io(tree);
    }

    @AfterEach
    void removeTree() throws IOException {
        ProcFixtures.delete(dir);
    }

    /** ashmemctl with the scan command's file operations pointed at the fixture's. */
    private int run(String... args) {
        return runOn(tree.proc(), args);
    }

    private int runOn(Path proc, String... args) {
        CommandLine cl = ExitCodes.install(new CommandLine(new AshmemCtl(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == ScanCommand.class) {
                    return cls.cast(new ScanCommand(o -> new ProcScanner(o.proc,
                            new AshmemClassifier(o.device, DeviceNumber.ofCuseDevice(o.sys, o.device).orElse(null)), io)));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        }));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("scan", "--proc", proc.toString(), "--sys", tree.sys().toString()));
        all.addAll(Arrays.asList(args));
        return cl.execute(all.toArray(new String[0]));
    }

    private List<String> lines() {
        return out.toString().lines().toList();
    }

    private static List<String> cells(String line) {
        return List.of(line.trim().split("\\s+"));
    }

    @Test
    void tableOneRowPerProcessAndKindLargestPssFirst() {
        assertEquals(0, run());
        List<String> l = lines();
        assertEquals(List.of("PID", "COMM", "CONTAINER", "KIND", "SIZE", "RSS", "PSS", "SWAP", "MAPS", "FDS"), cells(l.get(0)));
        String m = Integer.toString(tree.mapper());
        String h = Integer.toString(tree.holder());
        assertEquals(List.of(m, "memfd-fixture", "waydroid2", "kernel", "132.0K", "132.0K", "132.0K", "0", "2", "0"),
                cells(l.get(1)));
        assertEquals(List.of(m, "memfd-fixture", "waydroid2", "memfd", "512.0K", "128.0K", "128.0K", "0", "2", "1"),
                cells(l.get(2)));
        assertEquals(List.of(m, "memfd-fixture", "waydroid2", "ashmemd", "1.0M", "264.0K", "264.0K", "0", "3", "4"),
                cells(l.get(3)));
        assertEquals(List.of(h, "memfd-fixture", "ashmemd.service", "ashmemd", "0", "0", "0", "0", "0", "4"),
                cells(l.get(4)));
        assertEquals("2 of 3 processes use ashmem memory: size 1.6M, rss 524.0K, pss 524.0K, swap 0", l.get(5));
        assertEquals(6, l.size());
        assertEquals("", err.toString());
        assertTrue(l.get(1).startsWith(m + "  memfd-fixture  waydroid2 "), "columns two spaces apart: " + l.get(1));
    }

    @Test
    void byContainer() {
        assertEquals(0, run("--by", "container"));
        List<String> l = lines();
        assertEquals(List.of("CONTAINER", "PROCS", "KIND", "SIZE", "RSS", "PSS", "SWAP", "MAPS", "FDS"), cells(l.get(0)));
        assertEquals(List.of("waydroid2", "1", "kernel", "132.0K", "132.0K", "132.0K", "0", "2", "0"), cells(l.get(1)));
        assertEquals(List.of("ashmemd.service", "1", "ashmemd", "0", "0", "0", "0", "0", "4"), cells(l.get(4)));
        assertEquals("2 containers (host included) with 2 processes using ashmem memory", l.get(5));
    }

    @Test
    void topKindAndSort() {
        assertEquals(0, run("--top", "1", "--kind", "kernel,memfd", "--sort", "size"));
        List<String> l = lines();
        assertEquals(4, l.size(), out.toString());
        assertEquals("kernel", cells(l.get(1)).get(3));
        assertEquals("memfd", cells(l.get(2)).get(3));
        assertEquals("1 of 3 processes use ashmem memory: size 644.0K, rss 260.0K, pss 260.0K, swap 0", l.get(3));
    }

    @Test
    void topShowsHowManyOfHowMany() {
        assertEquals(0, run("--top", "1", "--sort", "rss"));
        assertTrue(lines().get(lines().size() - 1).startsWith("2 of 3 processes use ashmem memory (1 shown): "),
                out.toString());
    }

    @Test
    void nothingFound() throws IOException {
        Path lonely = Files.createDirectories(tree.root().resolve("lonely"));
        Files.createSymbolicLink(lonely.resolve(Integer.toString(tree.sleeper())),
                tree.proc().resolve(Integer.toString(tree.sleeper())));
        assertEquals(0, runOn(lonely));
        assertEquals(List.of("0 of 1 processes use ashmem memory: size 0, rss 0, pss 0, swap 0"), lines());
    }

    @Test
    void jsonHasExactBytesAndStableNames() throws Exception {
        assertEquals(0, run("--json"));
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals("process", j.get("by").asText());
        assertEquals("pss", j.get("sort").asText());
        assertEquals("[\"kernel\",\"memfd\",\"ashmemd\"]", j.get("kinds").toString());
        JsonNode p = j.get("processes").get(0);
        assertEquals(tree.mapper(), p.get("pid").asInt());
        assertEquals("memfd-fixture", p.get("comm").asText());
        assertEquals(0, p.get("uid").asInt());
        assertEquals("waydroid2", p.get("container").asText());
        assertEquals("/lxc.payload.waydroid2/uid_10061/pid_2417", p.get("cgroup").asText());
        assertEquals(false, p.get("servesCuse").asBoolean());
        JsonNode ashmemd = p.get("kinds").get("ashmemd");
        assertEquals(1036 * 1024, ashmemd.get("sizeBytes").asLong());
        assertEquals(264 * 1024, ashmemd.get("rssBytes").asLong());
        assertEquals(264 * 1024, ashmemd.get("pssBytes").asLong());
        assertEquals(0, ashmemd.get("swapBytes").asLong());
        assertEquals(0, ashmemd.get("swapPssBytes").asLong());
        assertEquals(3, ashmemd.get("mappings").asInt());
        assertEquals(4, ashmemd.get("fds").asInt());
        assertEquals(1680 * 1024, p.get("total").get("sizeBytes").asLong());
        JsonNode spaced = null;
        for (JsonNode r : p.get("regions")) {
            if (r.get("name").asText().equals("name with spaces")) {
                spaced = r;
            }
        }
        assertEquals("ashmemd", spaced.get("kind").asText());
        assertEquals(4096, spaced.get("sizeBytes").asLong());
        assertTrue(spaced.get("inode").asLong() > 0);
        assertEquals(1, spaced.get("mappings").asInt());
        assertEquals(1, spaced.get("fds").asInt());
        assertTrue(spaced.has("fileSizeBytes"));
        JsonNode stats = j.get("stats");
        assertEquals(3, stats.get("processes").asInt());
        assertEquals(2, stats.get("withAshmem").asInt());
        assertEquals(1, stats.get("smapsRead").asInt());
        assertEquals(0, stats.get("vanished").asInt());
        assertEquals(0, stats.get("denied").asInt());
        assertTrue(stats.has("elapsedMillis"));
    }

    @Test
    void jsonByContainer() throws Exception {
        assertEquals(0, run("--json", "--by", "container", "--kind", "ashmemd"));
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertTrue(j.get("processes") == null);
        JsonNode c = j.get("containers");
        assertEquals(2, c.size());
        assertEquals("waydroid2", c.get(0).get("container").asText());
        assertEquals(1, c.get(0).get("processes").asInt());
        assertEquals(4, c.get(1).get("kinds").get("ashmemd").get("fds").asInt());
        assertEquals("[\"ashmemd\"]", j.get("kinds").toString());
    }

    @Test
    void deviceNameDecidesWhichFdsAreTheDevice() {
        assertEquals(0, run("--device", "ashmem-other", "--kind", "kernel,ashmemd"));
        // no such device: the /dev/ashmem fd is not counted at all
        assertEquals("3", cells(lines().get(2)).get(9));
    }

    @Test
    void usageErrorsExit64() {
        assertEquals(Sysexits.USAGE, run("--sort", "bogus"));
        assertTrue(err.toString().startsWith("ashmemctl scan: Invalid value for option '--sort'"), err.toString());
        assertTrue(err.toString().contains("Try 'ashmemctl scan --help'"));
        assertEquals(Sysexits.USAGE, run("--kind", "sysv"));
        assertEquals(Sysexits.USAGE, run("--top", "-1"));
        assertEquals(Sysexits.USAGE, run("--frobnicate"));
        assertEquals("", out.toString());
    }

    @Test
    void noProcfsExits69() {
        assertEquals(Sysexits.UNAVAILABLE, runOn(tree.root().resolve("nowhere")));
        assertTrue(err.toString().startsWith("ashmemctl scan: cannot read "), err.toString());
    }

    @Test
    void unreadableProcessesAreMentioned() {
        ProcIo real = io;
        io = new ProcIo() {
            @Override
            public byte[] readBytes(Path file) throws IOException {
                if (file.getParent().getFileName().toString().equals(Integer.toString(tree.holder()))) {
                    throw new java.nio.file.AccessDeniedException(file.toString());
                }
                return real.readBytes(file);
            }

            @Override
            public String readLink(Path link) throws IOException {
                return real.readLink(link);
            }

            @Override
            public List<String> list(Path d) throws IOException {
                return real.list(d);
            }

            @Override
            public FileStat stat(Path file) throws IOException {
                return real.stat(file);
            }
        };
        assertEquals(0, run());
        assertEquals("ashmemctl scan: 1 process could not be read (permission denied); run as root to see them all",
                err.toString().trim());
    }

    @Test
    void helpListsTheOptions() {
        assertEquals(0, run("--help"));
        String help = out.toString();
        for (String o : List.of("--by", "--top", "--kind", "--sort", "--json", "--device")) {
            assertTrue(help.contains(o), o);
        }
        assertTrue(!help.contains("--proc"), "test hooks stay hidden");
    }
}
