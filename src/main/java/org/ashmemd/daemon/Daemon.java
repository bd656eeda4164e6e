package org.ashmemd.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.ashmemd.admin.AdminServer;
import org.ashmemd.admin.AdminService;
import org.ashmemd.admin.ProcRegionProcesses;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.broker.BrokerServer;
import org.ashmemd.broker.TokenTable;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.cmdline.Version;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.cuse.transport.ReaderActivity;
import org.ashmemd.device.AshmemCharDevice;
import org.ashmemd.device.CallerFacts;
import org.ashmemd.device.OpenerResolver;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.device.RequestStats;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.metrics.MetricsServer;
import org.ashmemd.metrics.MetricsSource;
import org.ashmemd.pressure.PressureMonitor;
import org.ashmemd.pressure.PurgeTarget;
import org.ashmemd.procscan.ContainerNames;
import org.ashmemd.procscan.DeviceNumber;
import org.ashmemd.procscan.ProcFs;
import org.ashmemd.procscan.ProcScanner;
import org.ashmemd.sys.SdNotify;
import org.ashmemd.sys.SystemInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running daemon: the wiring of core, device, broker and CUSE transport. Start order: runtime
 * directory → broker socket (before the device, so that a client's first mmap finds it) → CUSE
 * device (the kernel creates the node inside the INIT reply) → node mode → {@code
 * /dev/NAME<boot_id>} alias → pid file → pressure monitor → metrics → admin socket → signal
 * handlers → check that node, alias and both sockets are there → {@code READY=1} → watchdog.
 * Every step that fails stops the start with a one-line reason. Stop order: watchdog → metrics →
 * admin socket → pressure monitor → broker → CUSE device (the node goes) → every region → alias →
 * pid file.
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    private static final long START_TIMEOUT_SECONDS = 30;
    private static final Path PROC = Path.of("/proc");
    private static final long OPENER_CACHE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** A start failure with a one-line explanation for the user and a sysexits code. */
    public static final class StartException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int exitCode;

        StartException(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private final DaemonConfig config;
    private final SdNotify notify = SdNotify.fromEnvironment();
    private final CountDownLatch stop = new CountDownLatch(1);
    private AreaRegistry registry;
    private AshmemCharDevice device;
    private CuseService cuse;
    private BrokerServer broker;
    private AdminServer adminServer;
    private PressureMonitor pressure;
    private MetricsServer metrics;
    private final RequestStats requestStats = new RequestStats();

    private Watchdog watchdog;
    private volatile String lostReason;

    private Path alias;
    private boolean pidFileWritten;

    private Daemon(DaemonConfig config) {
        this.config = config;
    }

    public static Daemon start(DaemonConfig config) throws StartException {
        Daemon d = new Daemon(config);
        try {
            d.doStart();
            return d;
        } catch (StartException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private void doStart() throws StartException {
        preflight();
        ProcFs proc = new ProcFs();
        registry = new AreaRegistry(new MemfdBackingFactory(), SystemInfo.pageSize());
        TokenTable tokens = new TokenTable(config.tokenLifetime().toNanos(), System::nanoTime);
        OpenerResolver openers = new OpenerResolver(proc, System::nanoTime,
                OPENER_CACHE_NANOS);
        AdminService.RegionProcesses regionProcesses = new ProcRegionProcesses(ProcScanner.system(config.deviceName()));
        device = new AshmemCharDevice(registry, new CallerFacts() {
            @Override
            public boolean hasSysAdmin(int tid) {
                return proc.hasSysAdmin(tid);
            }

            @Override
            public boolean readImpliesExec(int tid) {
                return proc.readImpliesExec(tid);
            }
        }, tokens, openers, new RegionLimits(config.limits()));

        try {
            Files.createDirectories(config.runtimeDir());
            Files.setPosixFilePermissions(config.runtimeDir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new StartException(Sysexits.UNAVAILABLE,
                    "cannot create the runtime directory " + config.runtimeDir() + ": " + e.getMessage());
        }
        try {
            broker = new BrokerServer(config.brokerSocket(), config.brokerMode(), tokens, System::nanoTime);
        } catch (IOException e) {
            throw new StartException(Sysexits.UNAVAILABLE,
                    "cannot open the broker socket " + config.brokerSocket() + ": " + e.getMessage());
        }

        cuse = CuseService.start(config.deviceName(), config.devMajor(), config.devMinor(), config.workers(),
                SystemInfo.pageSize(), device, requestStats, START_TIMEOUT_SECONDS, this::onTransportLost);

        Path node = config.devicePath();
        try {
            Files.setPosixFilePermissions(node, permissions(config.mode()));
        } catch (IOException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot set the mode of " + node + ": " + e.getMessage());
        }
        if (config.alias()) {
            createAlias(node);
        }
        try {
            Files.writeString(config.pidFile(), ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
            pidFileWritten = true;
        } catch (IOException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot write " + config.pidFile() + ": " + e.getMessage());
        }
        pressure = new PressureMonitor(config.pressure(), new PurgeTarget() {
            @Override
            public long purgeOldest(long pages, PurgeCause cause) {
                return registry.purgeOldest(pages, cause);
            }

            @Override
            public long unpinnedPages() {
                return registry.lruPages();
            }

            @Override
            public PurgeCount purged(PurgeCause cause) {
                return registry.purged(cause);
            }
        }, registry.pageSize()).start();
        if (config.pressure().hasSoftLimit()) {
            device.setAfterUnpin(pressure::checkSoftLimit);
        }
        AdminService admin = new AdminService(device, requestStats, broker, proc, regionProcesses, pressure::pressure,
                () -> {
                    long pages = registry.purgeOldest(Long.MAX_VALUE, PurgeCause.ADMIN);
                    log.info("purged {} pages on request of the admin socket", pages);
                    return pages;
                }, Version.get(), node.toString(), cuse.major() + ":" + cuse.minor());
        if (config.metricsAddress() != null) {
            try {
                metrics = MetricsServer.start(config.metricsAddress(), metricsSource(admin));
            } catch (IOException e) {
                throw new StartException(Sysexits.UNAVAILABLE,
                        "cannot serve metrics at " + config.metricsAddress() + ": " + e.getMessage());
            }
        }
        try {
            adminServer = new AdminServer(config.adminSocket(), config.adminGroup(), admin, proc);
        } catch (IOException e) {
            throw new StartException(Sysexits.UNAVAILABLE,
                    "cannot open the admin socket " + config.adminSocket() + ": " + e.getMessage());
        }
        installSignalHandlers();
        checkServing(node);
        log.info("ashmemd {} ready: {} (char {}:{}, mode {}){}, broker {}, {} workers", Version.get(), node,
                cuse.major(), cuse.minor(), String.format("%04o", config.mode()),
                alias != null ? ", alias " + alias : "", config.brokerSocket(), config.workers());
        notify.notify("READY=1\nSTATUS=serving " + node + " (char " + cuse.major() + ":" + cuse.minor() + ")\nMAINPID="
                + ProcessHandle.current().pid());
        startWatchdog();
    }

    /**
     * What READY=1 promises: the node with our numbers, the alias leading to it, and both
     * sockets, all in place (a client started right after READY must find every one of them).
     */
    private void checkServing(Path node) throws StartException {
        DeviceNumber ours = new DeviceNumber(cuse.major(), cuse.minor());
        checkNode(node, ours, "the device node");
        if (alias != null) {
            checkNode(alias, ours, "the alias");
        }
        for (Path socket : new Path[] {config.brokerSocket(), config.adminSocket()}) {
            if (!Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new StartException(Sysexits.SOFTWARE, "the socket " + socket + " vanished before READY");
            }
        }
    }

    private static void checkNode(Path path, DeviceNumber expected, String what) throws StartException {
        DeviceNumber found;
        try {
            if (!Files.readAttributes(path, java.nio.file.attribute.PosixFileAttributes.class).isOther()) {
                throw new StartException(Sysexits.UNAVAILABLE, what + " " + path + " is not a device node");
            }
            found = DeviceNumber.fromRdev((Long) Files.getAttribute(path, "unix:rdev"));
        } catch (IOException e) {
            throw new StartException(Sysexits.UNAVAILABLE, what + " " + path + " is missing: " + e.getMessage()
                    + (path.startsWith("/dev") ? " (is /dev a devtmpfs?)" : ""));
        }
        if (!found.equals(expected)) {
            throw new StartException(Sysexits.UNAVAILABLE, what + " " + path + " is char " + found
                    + ", not the device's " + expected);
        }
    }

    private void startWatchdog() {
        Optional<Duration> interval = SdNotify.watchdogInterval(System.getenv(), ProcessHandle.current().pid());
        if (interval.isEmpty()) {
            return;
        }
        if (!notify.enabled()) {
            log.warn("$WATCHDOG_USEC is set but $NOTIFY_SOCKET is not: no watchdog pings");
            return;
        }
        ReaderActivity activity = cuse.activity();
        watchdog = new Watchdog(interval.get(), activity::longestBusy, notify::watchdogPing).start();
    }

    private MetricsSource metricsSource(AdminService admin) {
        return new MetricsSource() {
            @Override
            public DaemonStatus status() {
                return admin.status();
            }

            @Override
            public java.util.List<org.ashmemd.control.RegionInfo> regions() {
                return admin.regions();
            }

            @Override
            public java.util.List<RequestStats.Operation> requests() {
                return requestStats.snapshot();
            }

            @Override
            public PurgeCount purges(PurgeCause cause) {
                return registry.purged(cause);
            }
        };
    }

    private void preflight() throws StartException {
        if (!SystemInfo.isRoot()) {
            throw new StartException(Sysexits.NO_PERMISSION,
                    "ashmemd must run as root: it registers a device through /dev/cuse and creates nodes in /dev");
        }
        if (!Files.exists(Path.of("/dev/cuse"))) {
            throw new StartException(Sysexits.UNAVAILABLE,
                    "no /dev/cuse: the kernel's CUSE module is not loaded (run 'modprobe cuse')");
        }
        if (Files.exists(Path.of("/sys/class/cuse", config.deviceName()))) {
            throw new StartException(Sysexits.UNAVAILABLE, "the device name '" + config.deviceName()
                    + "' is taken: another CUSE device (another ashmemd?) is registered under it");
        }
        if (Files.exists(config.devicePath(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new StartException(Sysexits.UNAVAILABLE, "the device name '" + config.deviceName()
                    + "' is taken: " + config.devicePath() + " exists (the kernel's ashmem driver?); pick another with --device");
        }
    }

    /**
     * {@code /dev/NAME<boot_id>}, the path current libcutils opens first: a symbolic link to the
     * node, so it has the node's numbers and mode and needs no mknod (no CAP_MKNOD, no device
     * cgroup rule); a dangling one left by a killed daemon is replaced.
     */
    private void createAlias(Path node) throws StartException {
        String bootId;
        try {
            bootId = new ProcFs().bootId();
        } catch (IOException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "no boot id (" + e.getMessage() + ") for the /dev/"
                    + config.deviceName() + "<boot_id> alias; --no-alias serves without it");
        }
        Path link = node.resolveSibling(config.deviceName() + bootId);
        try {
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, node.getFileName());
            alias = link;
        } catch (IOException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot create the alias " + link + ": " + e
                    + "; --no-alias serves without it");
        }
    }

    private void installSignalHandlers() {
        sun.misc.SignalHandler handler = sig -> stop.countDown();
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
    }

    private void onTransportLost(String why) {
        log.error("the device connection ended: {}", why);
        lostReason = why;
        stop.countDown();
    }

    /** Why the daemon stopped without being asked to (the device is gone), or null. */
    public String lostReason() {
        return lostReason;
    }

    public void awaitStopSignal() throws InterruptedException {
        stop.await();
    }

    public AshmemCharDevice device() {
        return device;
    }

    public BrokerServer broker() {
        return broker;
    }

    @Override
    public void close() {
        notify.notify("STOPPING=1");
        if (watchdog != null) {
            watchdog.close();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (adminServer != null) {
            adminServer.close();
        }
        if (pressure != null) {
            pressure.close();
        }
        if (broker != null) {
            broker.close();
        }
        if (cuse != null) {
            cuse.close(); // aborts the connection: the node disappears, blocked callers get ENOTCONN
        }
        if (device != null) {
            device.releaseAll();
        }
        if (alias != null) {
            try {
                Files.deleteIfExists(alias);
            } catch (IOException e) {
                log.warn("could not remove {}: {}", alias, e.getMessage());
            }
        }
        if (pidFileWritten) {
            try {
                Files.deleteIfExists(config.pidFile());
            } catch (IOException e) {
                log.warn("could not remove {}: {}", config.pidFile(), e.getMessage());
            }
        }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        StringBuilder s = new StringBuilder();
        String rwx = "rwx";
        for (int shift = 6; shift >= 0; shift -= 3) {
            for (int bit = 0; bit < 3; bit++) {
                s.append((mode >> (shift + 2 - bit) & 1) != 0 ? rwx.charAt(bit) : '-');
            }
        }
        return PosixFilePermissions.fromString(s.toString());
    }
}
