package org.ashmemd.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.ashmemd.admin.AdminServer;
import org.ashmemd.admin.AdminService;
import org.ashmemd.admin.ProcRegionProcesses;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.broker.BrokerServer;
import org.ashmemd.broker.BrokerWire;
import org.ashmemd.broker.TokenTable;
import org.ashmemd.cmdline.Version;
import org.ashmemd.control.AdminClient;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.cuse.session.CuseConfig;
import org.ashmemd.cuse.session.CuseSession;
import org.ashmemd.cuse.transport.CuseStartException;
import org.ashmemd.cuse.transport.CuseTransport;
import org.ashmemd.cuse.wire.CuseInitIn;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.IoctlIn;
import org.ashmemd.cuse.wire.IoctlOut;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.OpenIn;
import org.ashmemd.cuse.wire.OpenOut;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.cuse.wire.ReleaseIn;
import org.ashmemd.device.AshmemCharDevice;
import org.ashmemd.device.AshmemIoctl;
import org.ashmemd.device.CallerFacts;
import org.ashmemd.device.OpenerResolver;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.device.RequestStats;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.metrics.MetricsServer;
import org.ashmemd.metrics.MetricsSource;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.pressure.PressureMonitor;
import org.ashmemd.procscan.DeviceNumber;
import org.ashmemd.procscan.ProcFs;
import org.ashmemd.procscan.ProcScanner;
import org.ashmemd.restart.FdStore;
import org.ashmemd.restart.InFlightTable;
import org.ashmemd.restart.RestartState;
import org.ashmemd.restart.StateJournal;
import org.ashmemd.sys.Bindings;
import org.ashmemd.sys.FdPassing;
import org.ashmemd.sys.Memfd;
import org.ashmemd.sys.SdNotify;
import org.ashmemd.sys.SystemInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The run that the daemon's class-data-sharing archive is recorded from ({@code
 * -XX:ArchiveClassesAtExit}, see bin/ashmemd-cds). Most of the daemon's start is loading and
 * verifying its classes and those of logback, jnr and Jackson; an archive of them, made on the
 * machine that runs the daemon, takes that off every later start. A start needs /dev/cuse, which
 * a machine that installs the package may lack (a chroot, an image build), so this walks the
 * start in-process without it: the unit's options parsed, logback configured, core, device,
 * broker, admin socket, pressure monitor, metrics, restart state and watchdog wired as {@link
 * Daemon} wires them, in a temporary runtime directory; the CUSE session answers the frames a
 * kernel sends for a client's first region (INIT, OPEN, ioctls with their retries, RELEASE), the
 * region's memory goes through the broker to a client, and a CUSE transport reads an INIT from a
 * file standing in for /dev/cuse. The scripted frames are the only stand-in for the kernel.
 * Output is discarded; a step that fails does not stop the others, and the run ends after
 * {@link #LIMIT} at the latest, with the classes loaded until then.
 */
public final class DaemonCdsTraining {
    private static final Duration LIMIT = Duration.ofMinutes(5);
    private static final String DEVICE = "ashmemd-cds";

    private final Path dir;
    private final Logger log = LoggerFactory.getLogger(DaemonCdsTraining.class);
    private int pageSize;
    private final Caller self;
    private final List<String> failed = new ArrayList<>();
    private long unique;

    private DaemonCdsTraining(Path dir) throws IOException {
        this.dir = dir;
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        this.self = new Caller(uid, gid, (int) ProcessHandle.current().pid()); // the main thread's id
    }

    public static void main(String[] args) throws IOException {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(quiet);
        System.setErr(quiet);
        Thread limit = new Thread(() -> {
            try {
                Thread.sleep(LIMIT.toMillis());
                System.exit(0); // the archive is written at exit, with what was loaded so far
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cds-limit");
        limit.setDaemon(true);
        limit.start();
        Path dir = Files.createTempDirectory("ashmemd-cds");
        try {
            train(dir);
        } finally {
            deleteTree(dir);
        }
        System.exit(0); // threads a failed step may have left do not hold the exit up
    }

    /** Walks the start in {@code dir}; the steps that failed, each with its reason (none where the daemon can run). */
    static List<String> train(Path dir) throws IOException {
        DaemonCdsTraining t = new DaemonCdsTraining(dir);
        t.step("start", t::run);
        return t.failed;
    }

    private void step(String what, Step s) {
        try {
            s.run();
        } catch (Exception | LinkageError | AssertionError e) {
            failed.add(what + ": " + e);
            log.debug("{}: {}", what, e.toString());
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private void run() throws Exception {
        // the unit's command line, through picocli as main() parses it, while the bindings are made
        Bindings bindings = Bindings.prepare();
        AshmemDaemon options = new AshmemDaemon();
        new CommandLine(options).parseArgs("--major", "121", "--minor", "0", "--fd-store", "--device", DEVICE,
                "--runtime-dir", dir.resolve("run").toString(), "--log-level", "info");
        DaemonConfig config = options.config();
        AshmemDaemon.setLogLevel("info");
        log.info("cds training in {}", dir);
        bindings.await();
        pageSize = SystemInfo.pageSize();
        SystemInfo.isRoot();
        SystemInfo.openFileLimit();

        ProcFs proc = new ProcFs();
        AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), pageSize);
        TokenTable tokens = new TokenTable(config.tokenLifetime().toNanos(), System::nanoTime);
        OpenerResolver openers = new OpenerResolver(proc, System::nanoTime, TimeUnit.SECONDS.toNanos(10));
        AdminService.RegionProcesses regionProcesses = new ProcRegionProcesses(ProcScanner.system(DEVICE));
        AshmemCharDevice device = new AshmemCharDevice(registry, CallerFacts.fromProc(proc), tokens, openers,
                new RegionLimits(config.limits()));
        RequestStats requestStats = new RequestStats();
        Files.createDirectories(config.runtimeDir());
        BrokerServer broker = new BrokerServer(config.brokerSocket(), config.brokerMode(), tokens, System::nanoTime);
        try {
            step("restart state", () -> restartState(device));
            CuseSession session = new CuseSession(new CuseConfig(DEVICE, config.devMajor(), config.devMinor(), pageSize),
                    device, requestStats);
            long[] fh = {-1};
            step("first region", () -> fh[0] = firstRegion(session, config.brokerSocket()));
            step("transport", () -> transport(device, requestStats));
            step("sd_notify", () -> notifyStubs());
            step("node, alias and pid file", () -> files(proc, config));
            PressureMonitor pressure = new PressureMonitor(config.pressure(), Daemon.purgeTarget(registry), registry.pageSize()).start();
            try {
                AdminService admin = new AdminService(device, requestStats, broker, proc, regionProcesses,
                        pressure::pressure, () -> DaemonStatus.Restart.notKept(DaemonStatus.Restart.NEW_DEVICE),
                        () -> registry.purgeOldest(Long.MAX_VALUE, PurgeCause.ADMIN), Version.get(),
                        "/dev/" + DEVICE, "121:0");
                step("admin", () -> admin(config.adminSocket(), admin, proc));
                step("metrics", () -> metrics(admin, requestStats, registry));
                step("watchdog", () -> new Watchdog(Duration.ofSeconds(15), Optional::empty, () -> false).start().close());
            } finally {
                pressure.close();
            }
            log.info("ashmemd {} ready: {}", Version.get(), config.devicePath());
            if (fh[0] >= 0) {
                step("release", () -> release(session, fh[0]));
            }
        } finally {
            broker.close();
            device.releaseAll();
        }
    }

    // ---- the scripted kernel: frames as /dev/cuse delivers them ----

    private ByteBuffer frame(int opcode, Caller c, int bodySize, Consumer<ByteBuffer> body, byte[] data) {
        int len = InHeader.SIZE + bodySize + data.length;
        ByteBuffer b = ByteBuffer.allocateDirect(len).order(ByteOrder.nativeOrder());
        new InHeader(len, opcode, ++unique, 0, c.uid(), c.gid(), c.tid(), 0, 0).encode(b);
        body.accept(b);
        b.put(data);
        return b.flip().order(ByteOrder.BIG_ENDIAN); // a reader's buffer, as the transport allocates it
    }

    private ByteBuffer ioctl(long fh, int cmd, long arg, byte[] in, long outSize) {
        return frame(Opcode.IOCTL.number(), self, IoctlIn.SIZE,
                new IoctlIn(fh, FuseProtocol.IOCTL_UNRESTRICTED, cmd, arg, in.length, outSize)::encode, in);
    }

    private static ByteBuffer initFrame() {
        int len = InHeader.SIZE + CuseInitIn.SIZE;
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        new InHeader(len, Opcode.CUSE_INIT.number(), 1, 0, 0, 0, 0, 0, 0).encode(b);
        new CuseInitIn(7, 41, 0, FuseProtocol.CUSE_UNRESTRICTED_IOCTL).encode(b);
        return b.flip();
    }

    /** Handles one frame; the reply's ioctl result (or the error), read as a kernel would. */
    private static int exchange(CuseSession session, ByteBuffer request, ByteBuffer reply) {
        int len = session.handle(request, reply);
        ByteBuffer r = reply.duplicate().order(ByteOrder.nativeOrder()).position(0).limit(len);
        OutHeader h = OutHeader.decode(r);
        if (h.error() != 0 || r.remaining() < IoctlOut.SIZE) {
            return h.error();
        }
        return IoctlOut.decode(r).result();
    }

    /**
     * What a client's first region costs the daemon: INIT, OPEN, SET_NAME (with the retry that
     * fetches the name), SET_SIZE, GET_SIZE, SET_PROT_MASK, GET_TOKEN and the broker exchange
     * that hands the memfd over, UNPIN, GET_PIN_STATUS, PIN, GET_FILE_ID, GET_NAME, an unknown
     * ioctl; the region stays open for the admin socket to list until {@link #release}.
     */
    private long firstRegion(CuseSession session, Path brokerSocket) throws Exception {
        ByteBuffer reply = ByteBuffer.allocateDirect(session.config().replyBufferSize());
        ByteBuffer init = ByteBuffer.allocateDirect(InHeader.SIZE + CuseInitIn.SIZE);
        init.put(initFrame()).flip();
        unique = 1;
        session.handle(init, reply);
        session.handle(frame(Opcode.OPEN.number(), self, OpenIn.SIZE, new OpenIn(2, 0)::encode, new byte[0]), reply);
        ByteBuffer opened = reply.duplicate().order(ByteOrder.nativeOrder());
        int error = OutHeader.decode(opened).error();
        if (error != 0) {
            throw new IllegalStateException("OPEN answered error " + error);
        }
        long fh = OpenOut.decode(opened).fh();
        long arg = 0x7f00_0000_0000L;
        byte[] name = "cds\0".getBytes(StandardCharsets.US_ASCII);
        exchange(session, ioctl(fh, AshmemIoctl.SET_NAME, arg, new byte[0], 0), reply);
        exchange(session, ioctl(fh, AshmemIoctl.SET_NAME, arg, name, 0), reply);
        exchange(session, ioctl(fh, AshmemIoctl.SET_SIZE, 4L * pageSize, new byte[0], 0), reply);
        int size = exchange(session, ioctl(fh, AshmemIoctl.GET_SIZE, 0, new byte[0], 0), reply);
        if (size != 4 * pageSize) {
            throw new IllegalStateException("GET_SIZE answered " + size);
        }
        exchange(session, ioctl(fh, AshmemIoctl.SET_PROT_MASK, 3, new byte[0], 0), reply);
        long map = 3 | AshmemIoctl.MAP_SHARED | (4L << AshmemIoctl.MAP_PAGES_SHIFT);
        int token = exchange(session, ioctl(fh, AshmemIoctl.ASHMEMD_GET_TOKEN, map, new byte[0], 0), reply);
        if (token <= 0) {
            throw new IllegalStateException("GET_TOKEN answered " + token);
        }
        step("broker", () -> redeem(brokerSocket, token));
        byte[] range = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(0).putInt(pageSize).array();
        exchange(session, ioctl(fh, AshmemIoctl.UNPIN, arg, new byte[0], 0), reply);
        exchange(session, ioctl(fh, AshmemIoctl.UNPIN, arg, range, 0), reply);
        exchange(session, ioctl(fh, AshmemIoctl.GET_PIN_STATUS, arg, range, 0), reply);
        exchange(session, ioctl(fh, AshmemIoctl.PIN, arg, range, 0), reply);
        exchange(session, ioctl(fh, AshmemIoctl.GET_FILE_ID, arg, new byte[0], 0), reply);
        exchange(session, ioctl(fh, AshmemIoctl.GET_FILE_ID, arg, new byte[0], 8), reply);
        exchange(session, ioctl(fh, AshmemIoctl.GET_NAME, arg, new byte[0], 256), reply);
        exchange(session, ioctl(fh, 0x7701_0000, arg, new byte[0], 0), reply);
        return fh;
    }

    private void release(CuseSession session, long fh) {
        ByteBuffer reply = ByteBuffer.allocateDirect(session.config().replyBufferSize());
        session.handle(frame(Opcode.RELEASE.number(), Caller.NOBODY, ReleaseIn.SIZE,
                new ReleaseIn(fh, 2, 0, 0)::encode, new byte[0]), reply);
    }

    /** The client's side of the broker: the token in, the region's memfd back over SCM_RIGHTS. */
    private void redeem(Path brokerSocket, int token) throws Exception {
        try (UnixSocketChannel ch = UnixSocketChannel.open(new UnixSocketAddress(brokerSocket.toFile()))) {
            ByteBuffer req = ByteBuffer.allocateDirect(BrokerWire.REQUEST_SIZE);
            BrokerWire.encodeRequest(req, token);
            req.flip();
            while (req.hasRemaining()) {
                ch.write(req);
            }
            ByteBuffer rep = ByteBuffer.allocateDirect(BrokerWire.REPLY_SIZE);
            FdPassing.Received r = FdPassing.receive(ch.getFD(), rep, 2);
            for (int fd : r.fds()) {
                Memfd.close(fd);
            }
            if (r.fds().length != 1) {
                throw new IllegalStateException("the broker handed over " + r.fds().length + " descriptors");
            }
        }
    }

    /**
     * The transport over a regular file that holds one INIT frame: a reader polls, reads it,
     * writes the reply after it and then stops at the end of the file. With no entry of its own
     * in /sys/class/cuse the start counts as refused, as a kernel would have refused it.
     */
    private void transport(AshmemCharDevice device, RequestStats stats) throws Exception {
        Path channel = dir.resolve("cuse");
        ByteBuffer init = initFrame();
        byte[] bytes = new byte[init.remaining()];
        init.get(bytes);
        Files.write(channel, bytes);
        CuseSession session = new CuseSession(new CuseConfig(DEVICE, 0, 0, pageSize), device, stats);
        CuseTransport t;
        try {
            t = CuseTransport.start(session, 1, channel.toString());
        } catch (CuseStartException e) {
            return;
        }
        try {
            t.started().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // refused: no device of this name in sysfs
        }
        t.stopped().get(30, TimeUnit.SECONDS);
        t.activity().longestBusy();
        t.close();
    }

    /** --fd-store: the restart state and the in-flight table in memfds, journaling the device. */
    private void restartState(AshmemCharDevice device) throws Exception {
        StateJournal.Device d = new StateJournal.Device(121, 0, 41, 0, 41, 0, 131072, 131072, pageSize);
        RestartState state = RestartState.start(FdStore.NONE, d, 0, Map.of(), Map.of(), null);
        device.setStateSink(state);
        int size = InFlightTable.bytesFor(CuseTransport.MAX_READERS);
        int fd = Memfd.create("ashmemd-inflight".getBytes(StandardCharsets.US_ASCII), size);
        InFlightTable table = InFlightTable.create(Memfd.mapShared(fd, size), CuseTransport.MAX_READERS);
        Memfd.close(fd); // the mapping stays
        table.begin(0, 2);
        table.end(0);
    }

    /** What the start does to the node, its alias and the pid file, on stand-ins in the directory. */
    private void files(ProcFs proc, DaemonConfig config) throws Exception {
        Path node = Files.createFile(dir.resolve(DEVICE));
        Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.createSymbolicLink(dir.resolve(DEVICE + proc.bootId()), node.getFileName());
        Files.writeString(config.pidFile(), ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
        Path dev = Path.of("/dev/null");
        if (Files.readAttributes(dev, PosixFileAttributes.class).isOther()) {
            DeviceNumber.fromRdev((Long) Files.getAttribute(dev, "unix:rdev"));
        }
        Files.exists(config.adminSocket(), LinkOption.NOFOLLOW_LINKS);
    }

    /** sd_notify's calls, towards a socket nobody listens on. */
    private void notifyStubs() {
        SdNotify notify = new SdNotify(dir.resolve("notify.sock").toString());
        notify.notify("READY=1");
        try {
            notify.notifyWithFd("FDSTORE=1\nFDNAME=" + RestartState.CUSE_NAME, 0);
        } catch (ErrnoException e) {
            // nobody listens
        }
        SdNotify.watchdogInterval(System.getenv(), ProcessHandle.current().pid());
    }

    /** The admin socket serving ashmemctl's commonest requests. */
    private void admin(Path socket, AdminService admin, ProcFs proc) throws Exception {
        AdminServer server = new AdminServer(socket, null, admin, proc);
        try {
            AdminClient client = new AdminClient(socket);
            for (String command : List.of("status", "regions")) {
                step("admin " + command, () -> client.call(command));
            }
            admin.answer("{\"command\":\"no-such-command\"}");
        } finally {
            server.close();
        }
    }

    /** --metrics-address: one scrape on a loopback port (skipped where loopback is down). */
    private static void metrics(AdminService admin, RequestStats stats, AreaRegistry registry) throws Exception {
        MetricsSource source = new MetricsSource() {
            @Override
            public DaemonStatus status() {
                return admin.status();
            }

            @Override
            public List<RegionInfo> regions() {
                return admin.regions();
            }

            @Override
            public List<RequestStats.Operation> requests() {
                return stats.snapshot();
            }

            @Override
            public PurgeCount purges(PurgeCause cause) {
                return registry.purged(cause);
            }
        };
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), source);
                Socket s = new Socket("127.0.0.1", server.address().getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /metrics HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readAllBytes();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
