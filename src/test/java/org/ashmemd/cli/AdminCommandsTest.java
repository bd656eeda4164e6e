package org.ashmemd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.broker.BrokerServer;
import org.ashmemd.broker.TokenTable;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.AdminRequest;
import org.ashmemd.control.AdminResponse;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.control.RegionDetail;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.cuse.session.IoctlReply;
import org.ashmemd.cuse.session.IoctlRequest;
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
import org.ashmemd.posix.Prot;
import org.ashmemd.procscan.ProcFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * ashmemctl's daemon commands against a real admin socket, served by the daemon's admin service
 * over a device driven directly (no CUSE): what a user types, what they read.
 */
class AdminCommandsTest {
    private static final int PAGE = 4096;
    private static final Caller ME = new Caller(0, 0, (int) ProcessHandle.current().pid());

    @TempDir
    Path dir;

    private AshmemCharDevice device;
    private BrokerServer broker;
    private AdminServer server;
    private AdminService service;
    private final RequestStats stats = new RequestStats();

    @BeforeEach
    void start() throws Exception {
        AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
        ProcFs proc = new ProcFs();
        // the opener as /proc would show this process inside a container named "box"
        Path fake = Files.createDirectories(dir.resolve("proc/" + ME.tid() + "/task/" + ME.tid()));
        Files.writeString(fake.resolve("../../status"), "Name:\tjava\nTgid:\t" + ME.tid() + "\n");
        Files.writeString(fake.resolve("../../comm"), "java\n");
        Files.writeString(fake.resolve("comm"), "java\n");
        Files.writeString(fake.resolve("../../cgroup"), "0::/lxc.payload.box/app\n");
        ProcFs openerProc = new ProcFs(dir.resolve("proc"));
        TokenTable tokens = new TokenTable(5_000_000_000L, System::nanoTime);
        device = new AshmemCharDevice(registry, new CallerFacts() {
            @Override
            public boolean hasSysAdmin(int tid) {
                return true;
            }

            @Override
            public boolean readImpliesExec(int tid) {
                return false;
            }
        }, tokens, new OpenerResolver(openerProc, System::nanoTime, 1_000_000_000L),
                new RegionLimits(RegionLimits.Caps.DEFAULT));
        broker = new BrokerServer(dir.resolve("broker.sock"), "rw-rw-rw-", tokens, System::nanoTime);
        service = new AdminService(device, stats, broker, proc, AdminService.RegionProcesses.NONE,
                () -> new DaemonStatus.Pressure(false, "", 0, 0, 0, 0),
                () -> new DaemonStatus.Restart(true, DaemonStatus.Restart.AFTER_CRASH, 80, 1, 3, 24 * 1024, 16 << 20, 2,
                        82, 3 << 20, 0, 0),
                () -> registry.purgeOldest(Long.MAX_VALUE, PurgeCause.ADMIN),
                Version.get(), "/dev/ashmem", "250:0");
        server = new AdminServer(dir.resolve("admin.sock"), null, service, proc);

        region("frames", 3 * PAGE, true);
        region("cache", PAGE, false);
        stats.requestDone(39, AshmemIoctl.SET_SIZE, 22, 1000);
    }

    @AfterEach
    void stop() {
        server.close();
        broker.close();
        device.releaseAll();
    }

    private long region(String name, int size, boolean unpinAndMap) throws Exception {
        long fh = device.open(ME, 2);
        ByteBuffer n = ByteBuffer.wrap((name + "\0").getBytes());
        device.ioctl(ME, new IoctlRequest(fh, 2, AshmemIoctl.SET_NAME, 0x1000, n, 0));
        device.ioctl(ME, new IoctlRequest(fh, 2, AshmemIoctl.SET_SIZE, size, ByteBuffer.allocate(0), 0));
        if (unpinAndMap) {
            long arg = ((long) (size / PAGE) << AshmemIoctl.MAP_PAGES_SHIFT) | Prot.READ;
            device.ioctl(ME, new IoctlRequest(fh, 2, AshmemIoctl.ASHMEMD_GET_TOKEN, arg, ByteBuffer.allocate(0), 0));
            ByteBuffer pin = ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putInt(0).putInt(PAGE).flip();
            IoctlReply r = device.ioctl(ME, new IoctlRequest(fh, 2, AshmemIoctl.UNPIN, 0x2000, pin, 0));
            assertEquals(0, ((IoctlReply.Done) r).result());
        }
        return fh;
    }

    private String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AshmemCtl());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--socket";
        full[args.length + 1] = dir.resolve("admin.sock").toString();
        int code = cl.execute(full);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void regionsTable() {
        String[] r = run("regions", "--sort", "size");
        assertEquals("0", r[0], r[2]);
        String[] lines = r[1].split("\n");
        assertTrue(lines[0].matches("\\s*ID\\s+NAME\\s+SIZE\\s+RESIDENT\\s+UNPINNED\\s+PURGED\\s+PROT\\s+MAPPED\\s+PID\\s+COMM\\s+UID\\s+CONTAINER\\s+AGE"),
                lines[0]);
        assertTrue(lines[1].contains("frames") && lines[1].contains("12.0K") && lines[1].contains("box"), lines[1]);
        assertTrue(lines[2].contains("cache") && lines[2].contains(" no "), lines[2]);
        assertTrue(r[1].contains("2 regions, 16.0K declared"), r[1]);
    }

    @Test
    void regionsFilterAndJson() throws Exception {
        String[] r = run("regions", "--name", "fr*", "--json");
        assertEquals("0", r[0], r[2]);
        JsonNode arr = AdminProtocol.json().readTree(r[1]);
        assertEquals(1, arr.size());
        assertEquals("frames", arr.get(0).get("name").asText());
        assertEquals(3 * PAGE, arr.get(0).get("size").asLong());
        assertEquals(PAGE, arr.get(0).get("unpinnedBytes").asLong());
        assertEquals(ME.tid(), arr.get(0).get("opener").get("pid").asInt());
        assertEquals("box", arr.get(0).get("opener").get("container").asText());
        assertEquals(0, AdminProtocol.json().readTree(run("regions", "--container", "host", "--json")[1]).size());
    }

    @Test
    void aLongListingIsStreamedInIdOrder() throws Exception {
        for (int i = 0; i < 1000; i++) {
            region("bulk-" + i, PAGE, false);
        }
        String[] r = run("regions", "--json");
        assertEquals("0", r[0], r[2]);
        JsonNode arr = AdminProtocol.json().readTree(r[1]);
        assertEquals(1002, arr.size());
        for (int i = 1; i < arr.size(); i++) {
            assertTrue(arr.get(i - 1).get("id").asLong() < arr.get(i).get("id").asLong(), "ids out of order at " + i);
        }
        assertEquals("bulk-999", arr.get(1001).get("name").asText());
    }

    @Test
    void streamedAnswersAreTheResponsesTheyStandFor() throws Exception {
        ObjectMapper json = AdminProtocol.json();
        for (String line : List.of("{\"version\":1,\"command\":\"regions\"}",
                "{\"version\":1,\"command\":\"region\",\"args\":{\"id\":\"1\"}}",
                "{\"version\":1,\"command\":\"region\",\"args\":{\"id\":\"99\"}}",
                "{\"version\":1,\"command\":\"nosuch\"}", "{\"version\":7,\"command\":\"regions\"}", "not json")) {
            String tree;
            try {
                tree = json.writeValueAsString(service.handle(json.readValue(line, AdminRequest.class)));
            } catch (JsonProcessingException e) {
                tree = null; // an unreadable request: only the streamed form exists
            }
            String streamed = service.answer(line);
            AdminResponse back = json.readValue(streamed, AdminResponse.class);
            if (tree != null) {
                assertEquals(tree, streamed, line);
            } else {
                assertEquals("usage", back.code(), streamed);
            }
        }
    }

    @Test
    void oneRegionInDetail() throws Exception {
        String[] r = run("region", "1", "--json");
        assertEquals("0", r[0], r[2]);
        RegionDetail d = AdminProtocol.json().readValue(r[1], RegionDetail.class);
        assertEquals("frames", d.region().name());
        assertEquals(List.of(new org.ashmemd.control.PinRange(0, PAGE, false)), d.region().unpinned());
        String[] text = run("region", "1");
        assertTrue(text[1].contains("region 1 \"frames\""), text[1]);
        assertTrue(text[1].contains("UNPINNED OFFSET"), text[1]);
        String[] missing = run("region", "99");
        assertTrue(!"0".equals(missing[0]), "an unknown region is an error");
    }

    @Test
    void statusAndPurge() throws Exception {
        String[] s = run("status", "--json");
        assertEquals("0", s[0], s[2]);
        DaemonStatus st = AdminProtocol.json().readValue(s[1], DaemonStatus.class);
        assertEquals(2, st.regions());
        assertEquals(1, st.mappedRegions());
        assertEquals(4 * PAGE, st.sizeBytes());
        assertEquals(PAGE, st.unpinnedBytes());
        assertEquals(1L, st.errors().get("SET_SIZE EINVAL"));
        String[] text = run("status");
        assertTrue(text[1].contains("regions  2 (1 mapped)"), text[1]);
        assertTrue(text[1].contains("restart  kept: state 3, 24.0K of 16.0M; memory carrier 2 holds 82 memfds (3.0M"
                + " released); started after the previous daemon died: 80 regions resumed, 1 lost\n"), text[1]);
        assertEquals(80, st.restart().regionsResumed());

        String[] p = run("purge");
        assertEquals("0", p[0], p[2]);
        assertTrue(p[1].contains("purged 1 pages (4.0K)"), p[1]);
        DaemonStatus after = AdminProtocol.json().readValue(run("status", "--json")[1], DaemonStatus.class);
        assertEquals(PAGE, after.purgedBytes());
    }

    @Test
    void topOnce() {
        String[] r = run("top", "-n", "1");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("2 regions"), r[1]);
        assertTrue(r[1].contains(Integer.toString(ME.tid())), r[1]);
    }

    @Test
    void noDaemonIsAClearError() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AshmemCtl());
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute("status", "--socket", dir.resolve("nothing.sock").toString());
        assertTrue(code != 0);
    }
}
