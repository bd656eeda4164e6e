package org.ashmemd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.ashmemd.waydroid.WaydroidFixture;
import org.ashmemd.waydroid.WaydroidTool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `ashmemctl waydroid ...` over a Waydroid tree under --root, as a user runs it. */
class WaydroidCommandTest {
    private static final String CFG = "/var/lib/waydroid/waydroid.cfg";
    private static final String NODES = "/var/lib/waydroid/lxc/waydroid/config_nodes";
    private static final String BASE_PROPS = "/var/lib/waydroid/waydroid_base.prop";
    private static final String OVERLAY = "/var/lib/waydroid/overlay";
    private static final String RC = OVERLAY + "/system/etc/init/ashmemd.rc";
    private static final String STATE = "/var/lib/ashmemd/waydroid/state.json";
    private static final String DEVICE_LINE = "lxc.mount.entry = /dev/ashmem dev/ashmem none bind,create=file,optional 0 0";
    private static final String ALIAS_LINE = "lxc.mount.entry = /dev/ashmem" + WaydroidFixture.BOOT_ID + " dev/ashmem"
            + WaydroidFixture.BOOT_ID + " none bind,create=file,optional 0 0";
    private static final String BROKER_LINE = "lxc.mount.entry = /run/ashmemd dev/ashmemd none bind,create=dir,optional 0 0";

    private Path dir;
    private WaydroidFixture fx;
    private Path fakeBin;
    private Path fakeLog;
    private StringWriter out;
    private StringWriter err;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("waydroid-command");
        fx = WaydroidFixture.create(dir.resolve("fx"));
        fakeBin = dir.resolve("bin");
        fakeLog = dir.resolve("waydroid.log");
        writeFakeWaydroid(0);
    }

    @AfterEach
    void tearDown() throws IOException {
        fx.close();
        try (var all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /**
     * A stand-in for Waydroid's command: logs its arguments and does what 'waydroid upgrade -o'
     * does to the files that matter once /dev/ashmem exists: config_nodes regenerated with its own
     * /dev/ashmem line (and without ashmemd's), waydroid_base.prop with [properties] applied.
     */
    private void writeFakeWaydroid(int exitStatus) throws IOException {
        Files.createDirectories(fakeBin);
        Path withAshmem = dir.resolve("config_nodes.with-ashmem");
        Files.writeString(withAshmem, WaydroidFixture.resourceText("config_nodes.with-ashmem"));
        String script = "#!/bin/sh\n"
                + "echo \"$@\" >> '" + fakeLog + "'\n"
                + "echo '[12:00:00] Stopping container'\n"
                + "cp '" + withAshmem + "' '" + fx.path(NODES) + "'\n"
                + "grep -v '^sys.use_memfd=' '" + fx.path(BASE_PROPS) + "' > '" + dir.resolve("props.tmp") + "'\n"
                + "echo 'sys.use_memfd=false' >> '" + dir.resolve("props.tmp") + "'\n"
                + "mv '" + dir.resolve("props.tmp") + "' '" + fx.path(BASE_PROPS) + "'\n"
                + "exit " + exitStatus + "\n";
        Path exe = fakeBin.resolve("waydroid");
        Files.writeString(exe, script);
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The fake on PATH; {@code run} says whether it may run under --root (it never does for users). */
    private WaydroidTool tool(boolean run) {
        return new WaydroidTool(fakeBin + ":" + System.getenv("PATH"), run);
    }

    private int run(String... args) {
        return run(tool(false), args);
    }

    private int run(WaydroidTool tool, String... args) {
        out = new StringWriter();
        err = new StringWriter();
        Clock clock = Clock.fixed(Instant.parse("2026-12-03T12:00:00Z"), ZoneOffset.UTC);
        CommandLine cl = ExitCodes.install(new CommandLine(new AshmemCtl(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == WaydroidCommand.class) {
                    return cls.cast(new WaydroidCommand(fx.installation(), tool, clock));
                }
                return CommandLine.defaultFactory().create(cls);
            }
        }));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("waydroid"));
        all.addAll(Arrays.asList(args));
        all.add("--root");
        all.add(fx.root().toString());
        return cl.execute(all.toArray(new String[0]));
    }

    private byte[] bytes(String systemPath) throws IOException {
        return Files.readAllBytes(fx.path(systemPath));
    }

    private static String original(String name) throws IOException {
        return WaydroidFixture.resourceText("var/lib/waydroid/" + name);
    }

    @Test
    void enablePlacesEveryPiece() throws IOException {
        assertEquals(0, run("enable"), err.toString());
        for (String part : List.of("system", "vendor")) {
            assertTrue(Arrays.equals(WaydroidFixture.LIB64, bytes(OVERLAY + "/" + part + "/lib64/libashmemd-preload.so")));
            assertTrue(Arrays.equals(WaydroidFixture.LIB32, bytes(OVERLAY + "/" + part + "/lib/libashmemd-preload.so")));
        }
        String rc = fx.read(RC);
        assertEquals(Files.readString(Path.of("android/ashmemd.rc")), rc);
        assertTrue(rc.contains("on early-init\n    export LD_PRELOAD libashmemd-preload.so\n"
                + "    export ASHMEMD_BROKER /dev/ashmemd/broker.sock\n"), rc);

        // config_nodes: Waydroid's lines untouched, ashmemd's block right after the tmpfs on dev
        List<String> nodes = fx.read(NODES).lines().toList();
        List<String> before = original("lxc/waydroid/config_nodes").lines().toList();
        assertEquals(before.get(0), nodes.get(0));
        assertEquals(List.of(DEVICE_LINE, ALIAS_LINE, BROKER_LINE), nodes.subList(2, 5));
        assertTrue(nodes.get(1).startsWith("# ashmemd:") && nodes.get(5).startsWith("# ashmemd:"), nodes.toString());
        List<String> rest = new ArrayList<>(nodes);
        rest.subList(1, 6).clear();
        assertEquals(before, rest);

        // waydroid.cfg: one line more, after the section's last entry, everything else as it was
        String cfg = original("waydroid.cfg");
        assertEquals(cfg.replace("ro.hardware.gralloc = default\n", "ro.hardware.gralloc = default\nsys.use_memfd = false\n"),
                fx.read(CFG));
        assertTrue(Files.isRegularFile(fx.path(STATE)));

        String o = out.toString();
        assertTrue(o.contains("ashmemd is up: "), o);
        assertTrue(o.contains("created " + fx.path(OVERLAY + "/vendor/lib/libashmemd-preload.so") + " (i386 preload library)"), o);
        assertTrue(o.contains("  + " + BROKER_LINE), o);
        assertTrue(o.contains("  + sys.use_memfd = false"), o);
        // under --root the real waydroid is never run, even when on PATH: the user is told instead
        assertTrue(o.contains("sudo waydroid upgrade -o"), o);
        assertFalse(Files.exists(fakeLog));
        assertTrue(o.contains("Restart the container to use ashmemd: sudo systemctl restart waydroid-container"), o);
    }

    @Test
    void secondEnableChangesNothing() throws IOException {
        assertEquals(0, run("enable"));
        Map<String, String> after = fx.snapshot();
        assertEquals(0, run("enable"), err.toString());
        assertEquals(after, fx.snapshot());
        String o = out.toString();
        assertTrue(o.contains("unchanged " + fx.path(NODES)), o);
        assertFalse(o.contains("created") || o.contains("edited") || o.contains("Restart"), o);
    }

    @Test
    void dryRunChangesNothing() throws IOException {
        Map<String, String> before = fx.snapshot();
        assertEquals(0, run("enable", "--dry-run"), err.toString());
        assertEquals(before, fx.snapshot());
        String o = out.toString();
        assertTrue(o.contains("would create " + fx.path(OVERLAY + "/system/lib64/libashmemd-preload.so")), o);
        assertTrue(o.contains("would create " + fx.path(RC)), o);
        assertTrue(o.contains("would edit " + fx.path(NODES)), o);
        assertTrue(o.contains("  + " + ALIAS_LINE), o);
        assertTrue(o.contains("would edit " + fx.path(CFG)), o);

        assertEquals(0, run("enable"));
        Map<String, String> enabled = fx.snapshot();
        assertEquals(0, run("disable", "--dry-run"), err.toString());
        assertEquals(enabled, fx.snapshot());
        assertTrue(out.toString().contains("would remove " + fx.path(RC)), out.toString());
        assertTrue(out.toString().contains("would restore " + fx.path(CFG)), out.toString());
    }

    @Test
    void disableRestoresByteForByte() throws IOException {
        Map<String, String> before = fx.snapshot();
        assertEquals(0, run("enable"));
        assertEquals(0, run("disable"), err.toString());
        assertEquals(before, fx.snapshot());
        String o = out.toString();
        assertTrue(o.contains("restore " + fx.path(NODES)), o);
        assertTrue(o.contains("sudo systemctl stop ashmemd && sudo waydroid upgrade -o"), o);

        assertEquals(0, run("disable"), err.toString());
        assertEquals(before, fx.snapshot());
        assertTrue(out.toString().contains("nothing to undo"), out.toString());
    }

    @Test
    void disablePutsBackAValueItChanged() throws IOException {
        String cfg = original("waydroid.cfg").replace("[properties]\n", "[properties]\nsys.use_memfd=true\n");
        fx.write(CFG, cfg);
        Map<String, String> before = fx.snapshot();
        assertEquals(0, run("enable"));
        assertEquals(cfg.replace("sys.use_memfd=true", "sys.use_memfd=false"), fx.read(CFG));
        assertTrue(out.toString().contains("  - sys.use_memfd=true"), out.toString());
        assertEquals(0, run("disable"));
        assertEquals(before, fx.snapshot());
    }

    @Test
    void reapplyAfterWaydroidRegeneratesItsConfiguration() throws IOException {
        assertEquals(0, run("enable"));
        // 'waydroid upgrade' (e.g. by its package's postinst) regenerates config_nodes from scratch;
        // with ashmemd up it writes its own /dev/ashmem line, and base props with [properties] applied
        String regenerated = WaydroidFixture.resourceText("config_nodes.with-ashmem");
        fx.write(NODES, regenerated);
        fx.write(BASE_PROPS, fx.read(BASE_PROPS).replace("sys.use_memfd=true\n", "") + "sys.use_memfd=false\n");

        assertEquals(0, run("reapply"), err.toString());
        List<String> nodes = fx.read(NODES).lines().toList();
        int own = nodes.indexOf(DEVICE_LINE);
        assertEquals(regenerated.lines().toList().indexOf(DEVICE_LINE), own, "Waydroid's own line stays in place");
        assertEquals(List.of(ALIAS_LINE, BROKER_LINE), nodes.subList(own + 2, own + 4), "no second /dev/ashmem entry");
        assertEquals(1, nodes.stream().filter(DEVICE_LINE::equals).count());
        assertTrue(out.toString().contains("edited " + fx.path(NODES)), out.toString());

        Map<String, String> reapplied = fx.snapshot();
        assertEquals(0, run("reapply"));
        assertEquals(reapplied, fx.snapshot());
        assertTrue(out.toString().contains("still carry ashmemd's changes"), out.toString());

        // disable: config_nodes goes back to what Waydroid wrote, not to the pre-enable file
        assertEquals(0, run("disable"), err.toString());
        assertEquals(regenerated, fx.read(NODES));
        assertEquals(original("waydroid.cfg"), fx.read(CFG));
        assertFalse(Files.exists(fx.path(RC)));
        assertFalse(Files.exists(fx.path(OVERLAY + "/system")));
        assertFalse(Files.exists(fx.path("/var/lib/ashmemd")));
    }

    @Test
    void reapplyUpdatesTheAliasForANewBoot() throws IOException {
        assertEquals(0, run("enable"));
        String newBoot = "0a0b0c0d-1111-2222-3333-444455556666";
        fx.write("/proc/sys/kernel/random/boot_id", newBoot + "\n");
        assertEquals(0, run("reapply"), err.toString());
        String nodes = fx.read(NODES);
        assertFalse(nodes.contains(WaydroidFixture.BOOT_ID), nodes);
        assertTrue(nodes.contains("lxc.mount.entry = /dev/ashmem" + newBoot + " dev/ashmem" + newBoot + " none "), nodes);
        assertTrue(out.toString().contains("  - " + ALIAS_LINE), out.toString());
    }

    @Test
    void reapplyWithoutEnableDoesNothing() throws IOException {
        Map<String, String> before = fx.snapshot();
        assertEquals(0, run("reapply"), err.toString());
        assertEquals(before, fx.snapshot());
        assertTrue(out.toString().contains("nothing to reapply"), out.toString());
    }

    @Test
    void reapplyDoesNotFailWhenAshmemdIsDown() throws IOException {
        assertEquals(0, run("enable"));
        fx.write(NODES, WaydroidFixture.resourceText("config_nodes.with-ashmem"));
        Files.delete(fx.path("/dev/ashmem"));
        assertEquals(0, run("reapply"), err.toString());
        assertTrue(out.toString().contains("warning: ashmemd is not running"), out.toString());
        assertTrue(fx.read(NODES).contains(BROKER_LINE));
    }

    @Test
    void enableRunsWaydroidUpgradeAndReappliesTheEntries() throws IOException {
        assertEquals(0, run(tool(true), "enable"), err.toString());
        assertEquals("upgrade -o\n", Files.readString(fakeLog));
        String o = out.toString();
        assertTrue(o.contains("running: " + fakeBin.resolve("waydroid") + " upgrade -o"), o);
        assertTrue(o.contains("  waydroid: [12:00:00] Stopping container"), o);
        // the upgrade rewrote config_nodes without ashmemd's block: put back after Waydroid's own line
        List<String> nodes = fx.read(NODES).lines().toList();
        int own = nodes.indexOf(DEVICE_LINE);
        assertTrue(own > 0, nodes.toString());
        assertEquals(List.of(ALIAS_LINE, BROKER_LINE), nodes.subList(own + 2, own + 4));
        assertTrue(fx.read(BASE_PROPS).endsWith("sys.use_memfd=false\n"));

        // done: a second enable neither changes files nor runs the upgrade again
        Map<String, String> after = fx.snapshot();
        assertEquals(0, run(tool(true), "enable"));
        assertEquals(after, fx.snapshot());
        assertEquals("upgrade -o\n", Files.readString(fakeLog));
        assertTrue(out.toString().contains("Waydroid already uses ashmemd: nothing to change."), out.toString());
    }

    @Test
    void failingWaydroidUpgradeIsReported() throws IOException {
        writeFakeWaydroid(3);
        assertEquals(69, run(tool(true), "enable"));
        assertTrue(err.toString().contains("upgrade -o' failed (exit status 3)"), err.toString());
    }

    @Test
    void statusBeforeAndAfter() throws IOException {
        container(100, "waydroid", "/memfd:gralloc (deleted)");
        container(101, "waydroid", null);
        container(200, "", "/memfd:dev/ashmem/host-region (deleted)");
        assertEquals(0, run("status"), err.toString());
        String o = out.toString();
        assertTrue(o.contains("switch     not enabled"), o);
        assertTrue(o.contains("container  running, 2 processes: 0 use ashmemd, 1 use memfds"), o);
        assertTrue(o.contains("Nothing to do."), o);

        assertEquals(0, run("enable"));
        assertEquals(1, run("status"));
        o = out.toString();
        assertTrue(o.contains("switch     enabled since 2026-12-03T12:00:00Z"), o);
        assertTrue(row(o, "library x86_64 (vendor)").startsWith("yes  present"), o);
        assertTrue(row(o, "lxc entry /run/ashmemd -> /dev/ashmemd").startsWith("yes  present"), o);
        assertTrue(row(o, "sys.use_memfd applied").startsWith("no   = true"), o);
        assertTrue(o.contains("  Regenerate Waydroid's configuration: sudo waydroid upgrade -o"), o);
        assertTrue(o.contains("  The running container does not use ashmemd yet. Restart it: "
                + "sudo systemctl restart waydroid-container"), o);

        // after 'waydroid upgrade -o' and a restart: Android's processes use the device's memfds
        fx.write(BASE_PROPS, fx.read(BASE_PROPS) + "sys.use_memfd=false\n");
        container(100, "waydroid", "/memfd:dev/ashmem/GraphicBuffer (deleted)");
        assertEquals(0, run("status"), out.toString());
        o = out.toString();
        assertTrue(o.contains("container  running, 2 processes: 1 use ashmemd, 0 use memfds"), o);
        assertTrue(o.contains("Waydroid uses ashmemd; nothing to do."), o);

        // a piece gone missing
        Files.delete(fx.path(OVERLAY + "/vendor/lib/libashmemd-preload.so"));
        assertEquals(1, run("status"));
        assertTrue(row(out.toString(), "library i386 (vendor)").startsWith("no   missing"), out.toString());
        assertTrue(out.toString().contains("Repair the switch: sudo ashmemctl waydroid enable"), out.toString());

        assertEquals(1, run("status", "--json"));
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertTrue(j.get("enabled").asBoolean());
        assertTrue(j.get("ashmemd").get("up").asBoolean());
        assertEquals(1, j.get("container").get("usingAshmemd").asInt());
        assertEquals(10, j.get("pieces").size());
        // the document's shape, field by field and in order
        assertEquals(List.of("ashmemd", "enabled", "enabledAt", "container", "pieces", "next"), fieldNames(j));
        assertEquals(List.of("up", "detail"), fieldNames(j.get("ashmemd")));
        assertEquals(List.of("known", "running", "processes", "usingAshmemd", "usingMemfd", "usingKernelDriver"),
                fieldNames(j.get("container")));
        assertEquals(List.of("name", "ok", "state", "path"), fieldNames(j.get("pieces").get(0)));
        assertTrue(j.get("next").get(0).asText().contains("sudo ashmemctl waydroid enable"), j.toString());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void waydroidRegeneratedWhileAshmemdWasUpWithoutTheSwitch() throws IOException {
        // a Waydroid update ran 'waydroid upgrade -o' while ashmemd was up, enable was never run
        fx.write(NODES, WaydroidFixture.resourceText("config_nodes.with-ashmem"));
        fx.write(BASE_PROPS, fx.read(BASE_PROPS).replace("sys.use_memfd=true\n", ""));
        Map<String, String> before = fx.snapshot();
        assertEquals(1, run("status"));
        assertTrue(out.toString().contains("Android has no preload library"), out.toString());
        assertEquals(0, run("reapply"));
        assertTrue(out.toString().contains("warning: Waydroid binds /dev/ashmem"), out.toString());
        assertEquals(before, fx.snapshot());
    }

    @Test
    void statusWithAshmemdDown() throws IOException {
        assertEquals(0, run("enable"));
        fx.stopBroker();
        assertEquals(1, run("status"));
        assertTrue(out.toString().contains("ashmemd    down: "), out.toString());
        assertTrue(out.toString().contains("Start ashmemd: sudo systemctl start ashmemd"), out.toString());
    }

    /** The cells after a row's piece name. */
    private static String row(String table, String piece) {
        return table.lines().filter(l -> l.startsWith(piece + "  ")).findFirst().orElse("(no row)")
                .substring(piece.length()).strip();
    }

    /** A process under root/proc, in the cgroup LXC gives Waydroid's container (or the host's), with one fd. */
    private void container(int pid, String container, String fdLink) throws IOException {
        Path p = fx.path("/proc/" + pid);
        Files.createDirectories(p.resolve("fd"));
        Files.writeString(p.resolve("status"), "Name:\tproc" + pid + "\nUid:\t10061\t10061\t10061\t10061\n");
        Files.writeString(p.resolve("comm"), "proc" + pid + "\n");
        Files.writeString(p.resolve("cgroup"), container.isEmpty() ? "0::/user.slice/user-1000.slice/session-2.scope\n"
                : "0::/lxc.payload." + container + "/uid_10061/pid_" + pid + "\n");
        Files.writeString(p.resolve("maps"), "");
        Path fd = p.resolve("fd/3");
        Files.deleteIfExists(fd);
        if (fdLink != null) {
            Files.createSymbolicLink(fd, Path.of(fdLink));
        }
    }

    @Test
    void ashmemdDown() throws IOException {
        Files.delete(fx.path("/dev/ashmem"));
        Map<String, String> before = fx.snapshot();
        assertEquals(69, run("enable"));
        assertTrue(err.toString().startsWith("ashmemctl waydroid enable: ashmemd is not running: "), err.toString());
        assertTrue(err.toString().contains("sudo systemctl start ashmemd"), err.toString());
        assertEquals(before, fx.snapshot());
    }

    @Test
    void staleBrokerSocket() throws IOException {
        fx.stopBroker();
        assertEquals(69, run("enable"));
        assertTrue(err.toString().contains("does not accept connections"), err.toString());
    }

    @Test
    void noWaydroid() throws IOException {
        Files.delete(fx.path(CFG));
        assertEquals(66, run("enable"));
        assertTrue(err.toString().contains("no Waydroid here: "), err.toString());
        assertTrue(err.toString().contains("sudo waydroid init"), err.toString());
        assertEquals(66, run("status"));
    }

    @Test
    void waydroidNotInitialized() throws IOException {
        Files.delete(fx.path(NODES));
        assertEquals(66, run("enable"));
        assertTrue(err.toString().contains("Waydroid is not initialized"), err.toString());
    }

    @Test
    void unreadableConfig() throws IOException {
        Files.delete(fx.path(CFG));
        Files.createDirectory(fx.path(CFG)); // unreadable even as root
        Map<String, String> before = fx.snapshot();
        assertEquals(74, run("enable"));
        assertTrue(err.toString().contains("cannot read " + fx.path(CFG)), err.toString());
        assertEquals(before, fx.snapshot());
    }

    @Test
    void damagedState() throws IOException {
        assertEquals(0, run("enable"));
        Files.writeString(fx.path(STATE), "{ not json");
        assertEquals(74, run("disable"));
        assertTrue(err.toString().contains("is damaged"), err.toString());
    }

    @Test
    void installationWithoutTheLibrary() throws IOException {
        Files.delete(fx.installationHome().resolve("lib/native/x86_64/libashmemd-preload.so"));
        assertEquals(70, run("enable"));
        assertTrue(err.toString().contains("no preload library for x86_64"), err.toString());
    }

    @Test
    void missing32BitLibraryIsAWarning() throws IOException {
        Files.delete(fx.installationHome().resolve("lib/native/i386/libashmemd-preload.so"));
        assertEquals(0, run("enable"), err.toString());
        assertTrue(out.toString().contains("warning: no i386 preload library"), out.toString());
        assertTrue(Files.exists(fx.path(OVERLAY + "/vendor/lib64/libashmemd-preload.so")));
        assertFalse(Files.exists(fx.path(OVERLAY + "/vendor/lib")));
    }

    @Test
    void noControlCharactersFromFilesReachTheTerminal() throws IOException {
        String evil = original("waydroid.cfg").replace("[properties]\n", "[properties]\nsys.use_memfd = \u001b]0;owned\u0007true\u009b\n");
        fx.write(CFG, evil);
        assertEquals(0, run("enable"), err.toString());
        assertTrue(out.toString().contains("  - sys.use_memfd = \\x1b]0;owned\\x07true\\u009b"), out.toString());
        assertEquals(1, run("status"));
        assertEquals(0, run("disable"));
        assertEquals(evil, fx.read(CFG));
        for (String s : List.of(out.toString(), err.toString())) {
            assertTrue(s.chars().noneMatch(c -> c < 0x20 && c != '\n' || c >= 0x7f && c <= 0x9f), s);
        }
    }

    @Test
    void helpListsTheSubcommands() {
        assertEquals(0, run("--help"));
        for (String sub : List.of("enable", "disable", "status", "reapply")) {
            assertTrue(out.toString().contains(sub), out.toString());
        }
    }

    @Test
    void manPageHasTheNestedCommands() {
        String page = org.ashmemd.manual.ManPage.render(new CommandLine(new AshmemCtl()), 8, "test");
        assertTrue(page.contains(".SS waydroid enable\n"), page);
        assertTrue(page.contains("\\fB\\-\\-dry\\-run\\fR"), page);
        assertTrue(page.contains(".SS waydroid reapply\n"), page);
    }
}
