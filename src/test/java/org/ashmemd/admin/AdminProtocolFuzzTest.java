package org.ashmemd.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.broker.BrokerServer;
import org.ashmemd.broker.TokenTable;
import org.ashmemd.cmdline.Version;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.AdminResponse;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.cuse.session.IoctlReply;
import org.ashmemd.cuse.session.IoctlRequest;
import org.ashmemd.device.AshmemCharDevice;
import org.ashmemd.device.AshmemIoctl;
import org.ashmemd.device.CallerFacts;
import org.ashmemd.device.OpenerResolver;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.device.RequestStats;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.Prot;
import org.ashmemd.procscan.ProcFs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Arbitrary request lines to the admin service, as the admin socket reads them, with a small
 * live registry behind it (a mapped, partly unpinned region with a hostile name and a plain one):
 * every line gets one response line that is valid JSON of the protocol's shape, carrying data
 * exactly when it succeeds, and otherwise a one-line error of a known class, free of control
 * characters, never the daemon's own failure.
 *
 * <p>Replays {@code AdminProtocolFuzzTestInputs/requestLine/} in every test run;
 * {@code JAZZER_FUZZ=1} fuzzes it.
 */
class AdminProtocolFuzzTest {
    private static final int PAGE = 4096;
    private static final Caller ME = new Caller(0, 0, (int) ProcessHandle.current().pid());
    private static final Set<String> CODES = Set.of("usage", "notfound", "denied", "unavailable");

    private static Path dir;
    private static AshmemCharDevice device;
    private static BrokerServer broker;
    private static AdminService service;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("admin-fuzz");
        AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
        ProcFs proc = new ProcFs();
        TokenTable tokens = new TokenTable(60_000_000_000L, System::nanoTime);
        device = new AshmemCharDevice(registry, CallerFacts.fromProc(proc), tokens, new OpenerResolver(proc, System::nanoTime, 1_000_000_000L), new RegionLimits(RegionLimits.Caps.DEFAULT));
        broker = new BrokerServer(dir.resolve("broker.sock"), "rw-rw-rw-", tokens, System::nanoTime);
        RequestStats stats = new RequestStats();
        stats.requestDone(39, AshmemIoctl.SET_SIZE, 22, 1000);
        service = new AdminService(device, stats, broker, proc, new ProcRegionProcesses(
                org.ashmemd.procscan.ProcScanner.system("ashmem")),
                () -> new DaemonStatus.Pressure(false, "", 0, 0, 0, 0),
                () -> DaemonStatus.Restart.notKept(DaemonStatus.Restart.NEW_DEVICE),
                () -> registry.purgeOldest(Long.MAX_VALUE, PurgeCause.ADMIN), Version.get(), "/dev/ashmem", "121:0");
        region("dalvik\n\u001b[31mheap\u0007 \u00ff\u202e".getBytes(StandardCharsets.ISO_8859_1), 4 * PAGE, true);
        region("cache".getBytes(StandardCharsets.US_ASCII), PAGE, false);
    }

    @AfterAll
    static void stop() throws IOException {
        broker.close();
        device.releaseAll();
        Files.deleteIfExists(dir.resolve("broker.sock"));
        Files.deleteIfExists(dir);
    }

    private static void region(byte[] name, int size, boolean unpinAndMap) throws Exception {
        long fh = device.open(ME, 2);
        ByteBuffer n = ByteBuffer.allocate(name.length + 1).put(name).put((byte) 0).flip();
        device.ioctl(ME, new IoctlRequest(fh, 2, AshmemIoctl.SET_NAME, 0x1000, n, 0));
        device.ioctl(ME, new IoctlRequest(fh, 2, AshmemIoctl.SET_SIZE, size, ByteBuffer.allocate(0), 0));
        if (unpinAndMap) {
            long arg = ((long) (size / PAGE) << AshmemIoctl.MAP_PAGES_SHIFT) | Prot.READ | Prot.WRITE;
            device.ioctl(ME, new IoctlRequest(fh, 2, AshmemIoctl.ASHMEMD_GET_TOKEN, arg, ByteBuffer.allocate(0), 0));
            ByteBuffer pin = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(PAGE).putInt(PAGE).flip();
            IoctlReply r = device.ioctl(ME, new IoctlRequest(fh, 2, AshmemIoctl.UNPIN, 0x2000, pin, 0));
            assertEquals(0, ((IoctlReply.Done) r).result());
        }
    }

    @FuzzTest(maxDuration = "12m")
    void requestLine(byte[] bytes) throws IOException {
        // what AdminServer hands on: the bytes before the first newline, decoded as UTF-8
        String line = new String(bytes, StandardCharsets.UTF_8);
        int nl = line.indexOf('\n');
        if (nl >= 0) {
            line = line.substring(0, nl);
        }
        String answer = service.answer(line);
        assertNotNull(answer);
        assertFalse(answer.contains("\n") || answer.contains("\r"), "a response of more than one line");
        JsonNode tree = AdminProtocol.json().readTree(answer);
        assertTrue(tree.isObject(), answer);
        AdminResponse r = AdminProtocol.json().treeToValue(tree, AdminResponse.class);
        assertEquals(AdminProtocol.VERSION, r.version());
        if (r.ok()) {
            assertTrue(r.data() != null && !r.data().isNull(), "success without data: " + answer);
            assertEquals(null, r.error());
            return;
        }
        assertTrue(r.data() == null || r.data().isNull(), "failure with data: " + answer);
        assertTrue(CODES.contains(r.code()), "error class " + r.code() + ": " + r.error());
        assertTrue(r.error() != null && !r.error().isBlank(), "failure without a message");
        r.error().codePoints().forEach(c -> assertFalse(Character.isISOControl(c),
                "control character U+" + Integer.toHexString(c) + " in the error: " + r.error()));
    }
}
