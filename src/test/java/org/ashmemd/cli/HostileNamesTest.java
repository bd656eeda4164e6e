package org.ashmemd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.broker.BrokerServer;
import org.ashmemd.broker.TokenTable;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.admin.AdminServer;
import org.ashmemd.admin.AdminService;
import org.ashmemd.cmdline.Version;
import org.ashmemd.device.RequestStats;
import org.ashmemd.device.AshmemCharDevice;
import org.ashmemd.device.AshmemIoctl;
import org.ashmemd.device.CallerFacts;
import org.ashmemd.device.OpenerResolver;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.procscan.ProcFs;
import org.ashmemd.text.Escape;
import org.ashmemd.text.HostileBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A client whose comm, thread name, cgroup, container and region names hold terminal escapes,
 * line breaks, invalid UTF-8 and bidi controls, against the real admin socket, device and log
 * configuration: what reaches the administrator's terminal and the log is escaped, one event per
 * line; the JSON parses and carries the exact text.
 */
class HostileNamesTest {
    private static final int PAGE = 4096;
    private static final int PID = 4242;
    private static final Caller EVIL = new Caller(10061, 10061, PID);
    /** What the client set with PR_SET_NAME (15 bytes), as /proc/PID/comm gives it. */
    private static final byte[] COMM = bytes("\u001b[31m\n\r\u007f", 0xff, "FORGED");
    /** The container of {@link #CGROUP}: what follows lxc.payload., invalid UTF-8 replaced. */
    private static final String CONTAINER = "evil\u001b]0;x\u0007box\u202e\ufffd";
    private static final String CGROUP = "/lxc.payload.evil\u001b]0;x\u0007box\u202e\ufffd/x";
    /** Region names: escapes and line breaks; invalid UTF-8 and U+202E; the longest SET_NAME takes. */
    private static final byte[][] NAMES = {
        bytes("a\u001b[2J\u001b]0;owned\u0007\nFORGED LINE\r\u007f\\x1b"),
        bytes("b", 0xc3, "(", 0xff, "\u202etxt.exe\u0085"),
        bytes(("L\u001b\n").repeat(85)),
    };

    @TempDir
    Path dir;

    private AshmemCharDevice device;
    private BrokerServer broker;
    private AdminServer server;
    private final List<Long> files = new ArrayList<>();

    static byte[] bytes(Object... parts) {
        return HostileBytes.of(parts);
    }

    @BeforeEach
    void start() throws Exception {
        Path proc = dir.resolve("proc");
        Path task = Files.createDirectories(proc.resolve(PID + "/task/" + PID));
        Files.createDirectories(proc.resolve(Integer.toString(PID)));
        Files.write(proc.resolve(PID + "/status"), bytes("Name:\t\\e[31m\\n\\r", 0x7f, 0xff, "FORGED\nUmask:\t0022\n"
                + "State:\tS (sleeping)\nTgid:\t" + PID + "\nPid:\t" + PID + "\nUid:\t10061\t10061\t10061\t10061\n"));
        Files.write(proc.resolve(PID + "/comm"), bytes(new String(COMM, StandardCharsets.ISO_8859_1), "\n"));
        Files.write(proc.resolve(PID + "/comm"), concat(COMM, new byte[] {'\n'}));
        Files.write(task.resolve("comm"), concat(COMM, new byte[] {'\n'}));
        Files.write(proc.resolve(PID + "/cgroup"), bytes("0::/lxc.payload.evil\u001b]0;x\u0007box\u202e", 0xfe, "/x\n"));
        ProcFs procFs = new ProcFs(proc);

        AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
        TokenTable tokens = new TokenTable(5_000_000_000L, System::nanoTime);
        device = new AshmemCharDevice(registry, new CallerFacts() {
            @Override
            public boolean hasSysAdmin(int tid) {
                return false;
            }

            @Override
            public boolean readImpliesExec(int tid) {
                return false;
            }
        }, tokens, new OpenerResolver(procFs, System::nanoTime, 1_000_000_000L),
                new RegionLimits(new RegionLimits.Caps(NAMES.length, 0, 0, 0)));
        broker = new BrokerServer(dir.resolve("broker.sock"), "rw-rw-rw-", tokens, System::nanoTime);
        AdminService service = new AdminService(device, new RequestStats(), broker, procFs,
                AdminService.RegionProcesses.NONE, () -> new DaemonStatus.Pressure(false, "", 0, 0, 0, 0),
                // a daemon of another version may say how it started in words this one does not know
                () -> new DaemonStatus.Restart(true, "\u001b[31mrebooted\n\u202e", 0, 0, 1, 4096, 1 << 24, 1, 0, 0, 0, 0),
                () -> registry.purgeOldest(Long.MAX_VALUE, PurgeCause.ADMIN), Version.get(), "/dev/ashmem", "250:0");
        server = new AdminServer(dir.resolve("admin.sock"), null, service, new ProcFs());
        for (byte[] name : NAMES) {
            long fh = device.open(EVIL, 2);
            files.add(fh);
            byte[] arg = Arrays.copyOf(name, org.ashmemd.ashmem.Area.NAME_LEN);
            device.ioctl(EVIL, new org.ashmemd.cuse.session.IoctlRequest(fh, 2, AshmemIoctl.SET_NAME, 0x1000,
                    ByteBuffer.wrap(arg), 0));
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @AfterEach
    void stop() {
        server.close();
        broker.close();
        device.releaseAll();
    }

    private String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = ExitCodes.install(new CommandLine(new AshmemCtl()));
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] full = Arrays.copyOf(args, args.length + 2);
        full[args.length] = "--socket";
        full[args.length + 1] = dir.resolve("admin.sock").toString();
        int code = cl.execute(full);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    /** No raw control character but line feeds, no C1, no bidi or invisible format character. */
    static void assertSafe(String output) {
        for (int i = 0; i < output.length(); i++) {
            char c = output.charAt(i);
            int at = i;
            assertFalse(c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f,
                    () -> "raw U+" + Integer.toHexString(c) + " at " + at + " in:\n" + output);
            assertFalse(Character.getType(c) == Character.FORMAT || c == 0x2028 || c == 0x2029,
                    () -> "raw format character U+" + Integer.toHexString(c) + " at " + at + " in:\n" + output);
        }
    }

    /** Every line of the table (up to the summary) is as wide as the header, in terminal columns. */
    static void assertAligned(String table) {
        String[] lines = table.split("\n");
        int width = Escape.width(lines[0]);
        for (String l : lines) {
            if (l.matches("\\d+ regions, .*")) {
                break;
            }
            assertEquals(width, Escape.width(l), () -> "misaligned:\n" + table);
        }
    }

    @Test
    void regionsTableIsEscapedAndAligned() {
        String[] r = run("regions");
        assertEquals("0", r[0], r[2]);
        assertSafe(r[1]);
        assertAligned(r[1]);
        assertTrue(r[1].contains("a\\x1b[2J\\x1b]0;owned\\x07\\nFORGED LINE\\r\\x7f\\\\x1b"), r[1]);
        assertTrue(r[1].contains("b\\xc3(\\xff\\u202etxt.exe\\u0085"), r[1]);
        assertTrue(r[1].contains("\\x1b[31m\\n\\r\\x7f\ufffdFORGED"), r[1]);
        assertTrue(r[1].contains("evil\\x1b]0;x\\x07box\\u202e\ufffd"), r[1]);
        assertTrue(r[1].contains("(L\\x1b\\n".substring(1).repeat(85)), "the long name whole: " + r[1]);
        assertEquals(NAMES.length + 2, r[1].split("\n").length, "one line per region: " + r[1]);
    }

    @Test
    void jsonIsValidExactAndTerminalSafe() throws Exception {
        String[] r = run("regions", "--json");
        assertEquals("0", r[0], r[2]);
        assertSafe(r[1].replace("\n", ""));
        JsonNode arr = AdminProtocol.json().readTree(r[1]);
        assertEquals(NAMES.length, arr.size());
        for (int i = 0; i < NAMES.length; i++) {
            JsonNode x = arr.get(i);
            assertEquals(new String(NAMES[i], StandardCharsets.UTF_8), x.get("name").asText());
            if (Escape.isUtf8(NAMES[i])) {
                assertNull(x.get("nameHex"), "no nameHex when the name is exact");
            } else {
                assertEquals(Escape.hex(NAMES[i]), x.get("nameHex").asText());
            }
            assertNull(x.get("displayName"), "display helpers are not part of the JSON");
            assertEquals(new String(COMM, StandardCharsets.UTF_8), x.get("opener").get("processName").asText());
            assertEquals(CONTAINER, x.get("opener").get("container").asText());
            assertEquals(CGROUP, x.get("opener").get("cgroup").asText());
        }
        assertTrue(r[1].contains("\\u202E") && r[1].contains("\\u001B") && r[1].contains("\\u007F"), r[1]);
    }

    @Test
    void oneRegionAndStatusAreEscaped() throws Exception {
        String[] r = run("region", Long.toString(files.get(1)));
        assertEquals("0", r[0], r[2]);
        assertSafe(r[1]);
        assertTrue(r[1].startsWith("region " + files.get(1) + " \"b\\xc3(\\xff\\u202etxt.exe\\u0085\"\n"), r[1]);
        assertTrue(r[1].contains("cgroup /lxc.payload.evil\\x1b]0;x\\x07box\\u202e\ufffd/x\n"), r[1]);
        String[] j = run("region", Long.toString(files.get(0)), "--json");
        assertSafe(j[1].replace("\n", ""));
        assertEquals(new String(NAMES[0], StandardCharsets.UTF_8),
                AdminProtocol.json().readTree(j[1]).get("region").get("name").asText());
        String[] s = run("status");
        assertEquals("0", s[0], s[2]);
        assertSafe(s[1]);
        assertTrue(s[1].contains("started: \\x1b[31mrebooted\\n\\u202e:"), s[1]);
        String[] t = run("top", "-n", "1", "--json");
        assertSafe(t[1].replace("\n", ""));
    }

    @Test
    void refusalAtTheCapIsOneEscapedLogLine() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThrows(ErrnoException.class, () -> device.open(EVIL, 2));
        } finally {
            System.setErr(saved);
        }
        byte[] raw = captured.toByteArray();
        String log = new String(raw, StandardCharsets.UTF_8);
        List<String> lines = log.lines().filter(l -> !l.isEmpty()).toList();
        assertEquals(1, lines.size(), log);
        assertTrue(lines.get(0).matches(".* WARN .*AshmemCharDevice: open by pid 4242 \\(\\\\x1b\\[31m\\\\n\\\\r\\\\x7f\ufffdFORGED\\) "
                + "refused with EMFILE: uid 10061 already holds 3 regions \\(cap 3\\)"), lines.get(0));
        for (int i = 0; i < raw.length - 1; i++) {
            int b = raw[i] & 0xff;
            int at = i;
            assertFalse(b < 0x20 || b == 0x7f, () -> "raw byte " + b + " at " + at + " in " + log);
        }
        assertEquals('\n', raw[raw.length - 1]);
    }

    @Test
    void exceptionMessagesInTheLogAreEscapedToo() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            org.slf4j.LoggerFactory.getLogger(HostileNamesTest.class).warn("name {} failed",
                    "x\nFORGED\u001b[0m", new IllegalStateException("bad\nFORGED", new RuntimeException("c\u001b")));
        } finally {
            System.setErr(saved);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("name x\\nFORGED\\x1b[0m failed"), log);
        assertTrue(log.contains("java.lang.IllegalStateException: bad\\nFORGED"), log);
        assertTrue(log.contains("Caused by: java.lang.RuntimeException: c\\x1b"), log);
        assertFalse(log.contains("\nFORGED"), log);
        assertFalse(log.contains("\u001b"), log);
    }
}
