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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.nio.ByteBuffer;
import java.util.List;
import org.ashmemd.admin.AdminServer;
import org.ashmemd.admin.AdminService;
import org.ashmemd.admin.ProcRegionProcesses;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.cuse.session.NegotiatedProtocol;
import org.ashmemd.cuse.transport.CuseTransport;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.device.OpenFile;
import org.ashmemd.memory.MemfdBacking;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.restart.FdStore;
import org.ashmemd.restart.HandOver;
import org.ashmemd.restart.HandedOverFds;
import org.ashmemd.restart.InFlightTable;
import org.ashmemd.restart.RegionRecord;
import org.ashmemd.restart.RestartState;
import org.ashmemd.restart.StateJournal;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.DeviceFd;
import org.ashmemd.sys.Memfd;
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
    private TokenTable tokens;
    private FdStore fdStore;
    private RestartState restartState;
    /** How this daemon came by its device, and what it took over: for the status. */
    private String startedAs = DaemonStatus.Restart.NEW_DEVICE;
    private int regionsResumed;
    private int regionsLost;
    private static final Duration HAND_OVER_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long a planned stop waits for tokens just handed out to be redeemed: a client redeems
     * its token right after GET_TOKEN, and one that does not asks the next daemon for a new one.
     * With the readers' 10 s this stays inside the unit's TimeoutStopSec=20.
     */
    private static final Duration TOKEN_DRAIN_LIMIT = Duration.ofSeconds(5);
    /** Requests on either side of the newest id read that a dead daemon may have read unrecorded. */
    private static final int UNRECORDED_SPAN = 2 * CuseTransport.MAX_READERS;

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
        HandOver handOver = null;
        if (config.fdStore()) {
            if (!notify.enabled()) {
                throw new StartException(Sysexits.USAGE, "--fd-store needs a file descriptor store at"
                        + " $NOTIFY_SOCKET: run it under systemd (FileDescriptorStoreMax=) or under ashmemd --hold");
            }
            fdStore = FdStore.notifySocket(notify);
            HandedOverFds fds;
            try {
                fds = HandedOverFds.fromEnvironment(System.getenv(), ProcessHandle.current().pid());
                handOver = HandOver.read(fds);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new StartException(Sysexits.UNAVAILABLE, "cannot resume the previous daemon's device: "
                        + e.getMessage());
            }
            if (handOver == null && !fds.isEmpty()) {
                dropDeadDevice(fds);
            }
        }
        if (handOver == null) {
            preflight();
        } else {
            preflightUser();
        }
        ProcFs proc = new ProcFs();
        registry = new AreaRegistry(new MemfdBackingFactory(), SystemInfo.pageSize());
        tokens = new TokenTable(config.tokenLifetime().toNanos(), System::nanoTime);
        OpenerResolver openers = new OpenerResolver(proc, System::nanoTime,
                OPENER_CACHE_NANOS);
        AdminService.RegionProcesses regionProcesses = new ProcRegionProcesses(ProcScanner.system(config.deviceName()));
        device = new AshmemCharDevice(registry, CallerFacts.fromProc(proc), tokens, openers, new RegionLimits(config.limits()));

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

        if (handOver != null) {
            resume(handOver);
        } else {
            cuse = CuseService.start(config.deviceName(), config.devMajor(), config.devMinor(), config.workers(),
                    SystemInfo.pageSize(), device, requestStats, START_TIMEOUT_SECONDS, this::onTransportLost);
            if (fdStore != null) {
                parkNewDevice();
            }
        }

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
        pressure = new PressureMonitor(config.pressure(), purgeTarget(registry), registry.pageSize()).start();
        if (config.pressure().hasSoftLimit()) {
            device.setAfterUnpin(pressure::checkSoftLimit);
        }
        AdminService admin = new AdminService(device, requestStats, broker, proc, regionProcesses, pressure::pressure,
                this::restartReport, () -> {
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
        if (handOver != null) {
            // Last, so that a busy device cannot starve the rest of the start: its callers'
            // requests have waited in the kernel since the previous daemon stopped reading.
            cuse.serve();
        }
        checkServing(node);
        log.info("ashmemd {} ready: {} (char {}:{}, mode {}){}, broker {}, {} workers", Version.get(), node,
                cuse.major(), cuse.minor(), String.format("%04o", config.mode()),
                alias != null ? ", alias " + alias : "", config.brokerSocket(), config.workers());
        notify.notify("READY=1\nSTATUS=serving " + node + " (char " + cuse.major() + ":" + cuse.minor() + ")\nMAINPID="
                + ProcessHandle.current().pid());
        startWatchdog();
    }

    /**
     * Takes over what the previous daemon handed over: its regions (with their memory and open
     * files) and the device's channel. The state is current before the first reader starts.
     */
    private void resume(HandOver h) throws StartException {
        StateJournal.Device d = h.device();
        RestartState.TakenOverMemory taken;
        try {
            taken = RestartState.takeOverMemory(fdStore, h.memoryFds(), h.areaFds());
        } catch (ErrnoException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot take over the regions' memory: " + e.getMessage());
        }
        Map<Long, Integer> memoryFds = new HashMap<>(taken.fds());
        Map<Long, RegionRecord> resumed = new LinkedHashMap<>();
        Map<Long, Area> parked = new HashMap<>();
        int lost = 0;
        for (RegionRecord r : h.regions().values()) {
            MemfdBacking memory = null;
            if (r.area().hasBacking()) {
                Integer fd = memoryFds.remove(r.id());
                if (fd == null) {
                    log.error("region {} ({} bytes) was mapped, but its memory was not handed over: it is lost", r.id(),
                            r.area().size());
                    lost++;
                    continue;
                }
                try {
                    memory = MemfdBacking.adopt(fd);
                } catch (ErrnoException e) {
                    log.error("region {}: its handed-over memory is unusable ({}): it is lost", r.id(), e.getMessage());
                    Descriptors.close(fd);
                    lost++;
                    continue;
                }
            }
            Area area = registry.restore(r.area(), memory);
            if (memory != null) {
                parked.put(r.id(), area);
            }
            device.restore(area, r.flags(), r.caller(), r.opener(), r.openedAtMillis());
            resumed.put(r.id(), r);
        }
        // released after its memory was parked, before the state recorded the release
        memoryFds.values().forEach(Descriptors::close);
        try {
            restartState = RestartState.start(fdStore, d, h.newestGeneration(), resumed, parked, taken);
        } catch (ErrnoException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot write the restart state: " + e.getMessage());
        }
        for (Map.Entry<Integer, List<Integer>> old : h.stateFds().entrySet()) {
            RestartState.drop(fdStore, RestartState.STATE_PREFIX + old.getKey(), old.getValue());
        }
        device.setStateSink(restartState);
        DeviceFd channel;
        try {
            channel = DeviceFd.adopt(CuseTransport.DEFAULT_CHANNEL, h.cuseFd());
        } catch (ErrnoException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot use the handed-over /dev/cuse channel: "
                    + e.getMessage());
        }
        InFlightTable inFlight = releaseWaitingCallers(h, channel);
        NegotiatedProtocol settled = new NegotiatedProtocol(d.kernelMinor(), d.kernelFlags(), d.minorAnswered(),
                d.flagsAnswered(), d.maxRead(), d.maxWrite());
        cuse = CuseService.resume(config.deviceName(), channel, settled, d.major(), d.minor(), config.workers(),
                SystemInfo.pageSize(), device, requestStats, inFlight, this::onTransportLost);
        log.info("resumed /dev/{} (char {}:{}) with {} regions from the previous daemon ({}){}", config.deviceName(),
                d.major(), d.minor(), resumed.size(), h.cleanHandOver() ? "planned restart" : "it did not stop cleanly",
                lost > 0 ? "; " + lost + " regions lost" : "");
        startedAs = h.cleanHandOver() ? DaemonStatus.Restart.PLANNED_RESTART : DaemonStatus.Restart.AFTER_CRASH;
        regionsResumed = resumed.size();
        regionsLost = lost;
        if (h.tornTail()) {
            log.info("the previous daemon died while it recorded a change: that change is not kept, and its request"
                    + " runs again or fails with EINTR");
        }
    }

    /**
     * The callers of requests the dead daemon had read and not answered wait in the kernel until
     * someone answers. Kernels with FUSE_NOTIFY_RESEND (6.9+) queue those requests again (their ids
     * with bit 63): the readers serve them, and one whose first run completed gets the reply it
     * built then (nothing runs twice). Older kernels (6.1) accept a reply to such a request from
     * the new reader: the recorded reply when there is one, else EINTR, which libcutils retries.
     * The table is cleared once they are answered (or re-sent), and goes on serving this daemon's
     * readers: a daemon that dies before finds the same list and answers it again (the kernel
     * refuses an answer to a request answered already, with ENOENT).
     */
    private InFlightTable releaseWaitingCallers(HandOver h, DeviceFd channel) throws StartException {
        List<InFlightTable.Entry> waiting = List.of();
        long readLately = 0;
        ByteBuffer tableMemory;
        int tableFd = h.inFlightFd();
        try {
            if (tableFd < 0) {
                tableFd = Memfd.create("ashmemd-inflight".getBytes(StandardCharsets.US_ASCII),
                        InFlightTable.bytesFor(CuseTransport.MAX_READERS));
                tableMemory = Memfd.mapShared(tableFd, InFlightTable.bytesFor(CuseTransport.MAX_READERS));
                fdStore.store(InFlightTable.NAME, tableFd);
            } else {
                tableMemory = Memfd.mapShared(tableFd, Memfd.size(tableFd));
                waiting = InFlightTable.read(tableMemory);
                readLately = h.cleanHandOver() ? 0 : InFlightTable.readLately(tableMemory);
            }
        } catch (ErrnoException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot keep the in-flight table: " + e.getMessage());
        }
        if (waiting.isEmpty() && readLately == 0) {
            return InFlightTable.create(tableMemory, CuseTransport.MAX_READERS);
        }
        boolean resent = false;
        if (h.device().kernelMinor() >= FuseProtocol.MIN_MINOR_RESEND) {
            int err = CuseTransport.writeFrame(channel, InFlightTable.resendNotification());
            resent = err == 0;
            if (!resent) {
                log.warn("FUSE_NOTIFY_RESEND refused ({}); answering the waiting requests directly", Errno.nameOf(err));
            }
        }
        if (resent) {
            log.info("{} requests the previous daemon held are re-sent by the kernel (FUSE_NOTIFY_RESEND)",
                    waiting.size());
            InFlightTable table = InFlightTable.create(tableMemory, CuseTransport.MAX_READERS);
            table.expectResent(waiting); // from here the replies it built live in this daemon only
            return table;
        }
        int replayed = 0;
        int interrupted = 0;
        for (InFlightTable.Entry e : waiting) {
            int err = CuseTransport.writeFrame(channel, InFlightTable.releaseFrame(e, Errno.EINTR.number()));
            if (err == 0) {
                if (e.reply() != null) {
                    replayed++;
                } else {
                    interrupted++;
                }
            } else {
                log.debug("request {} of the previous daemon: answer refused ({})", Long.toUnsignedString(e.unique()),
                        Errno.nameOf(err));
            }
        }
        // A request the dead daemon read but had not recorded yet: its id is near the newest read.
        // Everything waiting for an answer now is the dead daemon's (this one reads nothing yet),
        // so an EINTR to any id there is right, and one to any other id is refused (ENOENT).
        int unrecorded = 0;
        long newest = readLately;
        for (InFlightTable.Entry e : waiting) {
            newest = Math.max(newest, e.unique());
        }
        for (long id : InFlightTable.idsAround(newest, UNRECORDED_SPAN)) {
            InFlightTable.Entry e = new InFlightTable.Entry(id, null);
            if (CuseTransport.writeFrame(channel, InFlightTable.releaseFrame(e, Errno.EINTR.number())) == 0) {
                unrecorded++;
            }
        }
        log.info("released the callers of {} requests the previous daemon held: {} with the reply it had built,"
                + " {} with EINTR; {} more it had read without recording them, with EINTR", waiting.size(), replayed,
                interrupted, unrecorded);
        return InFlightTable.create(tableMemory, CuseTransport.MAX_READERS);
    }

    private DaemonStatus.Restart restartReport() {
        RestartState state = restartState;
        if (state == null) {
            return DaemonStatus.Restart.notKept(startedAs);
        }
        RestartState.Report r = state.report();
        return new DaemonStatus.Restart(true, startedAs, regionsResumed, regionsLost, r.generation(), r.stateBytes(),
                r.stateCapacity(), r.carrierGeneration(), r.parkedMemfds(), r.releasedBytes(), r.unrecordedChanges(),
                r.unparkedRegions());
    }

    /**
     * Parks a new device's channel and starts its restart state. Requests served before the
     * state sink was set are caught up: each open file's whole state is recorded again.
     */
    private void parkNewDevice() throws StartException {
        NegotiatedProtocol p = cuse.negotiated();
        StateJournal.Device d = new StateJournal.Device(cuse.major(), cuse.minor(), p.kernelMinor(), p.kernelFlags(),
                p.minor(), p.flags(), p.maxRead(), p.maxWrite(), SystemInfo.pageSize());
        // cuse last: a store that holds it holds its state and in-flight table too (a daemon that
        // dies before finds a store without cuse, and drops the rest as a dead device's)
        try {
            restartState = RestartState.start(fdStore, d, 0, Map.of(), Map.of(), null);
        } catch (ErrnoException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot park the restart state in the fd store at "
                    + System.getenv("NOTIFY_SOCKET") + ": " + e.getMessage());
        }
        device.setStateSink(restartState);
        try {
            int size = InFlightTable.bytesFor(CuseTransport.MAX_READERS);
            int tableFd = Memfd.create("ashmemd-inflight".getBytes(StandardCharsets.US_ASCII), size);
            cuse.setInFlightLog(InFlightTable.create(Memfd.mapShared(tableFd, size), CuseTransport.MAX_READERS));
            fdStore.store(InFlightTable.NAME, tableFd);
        } catch (ErrnoException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot park the in-flight table: " + e.getMessage());
        }
        try {
            fdStore.store(RestartState.CUSE_NAME, cuse.channelFd());
        } catch (ErrnoException e) {
            throw new StartException(Sysexits.UNAVAILABLE, "cannot park the device in the fd store: " + e.getMessage());
        }
        for (OpenFile f : device.openFiles()) {
            restartState.changed(f);
        }
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
        preflightUser();
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

    private static void preflightUser() throws StartException {
        if (!SystemInfo.isRoot()) {
            throw new StartException(Sysexits.NO_PERMISSION,
                    "ashmemd must run as root: it registers a device through /dev/cuse and creates nodes in /dev");
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
        if (restartState != null && cuse != null && lostReason == null) {
            handOver();
            return;
        }
        closeServices();
        if (cuse != null) {
            cuse.close(); // aborts the connection: the node disappears, blocked callers get ENOTCONN
        }
        if (device != null) {
            device.releaseAll();
        }
        if (restartState != null && lostReason != null) {
            forgetDevice(); // after the releases, which may still write state
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

    /**
     * What the store holds without a {@code cuse} belongs to a device that is gone (systemd drops
     * a stored channel once the kernel aborts it): its state and its regions' memory are dropped,
     * not kept for as long as the unit lives.
     */
    private void dropDeadDevice(HandedOverFds fds) {
        for (Map.Entry<String, List<Integer>> e : fds.all().entrySet()) {
            RestartState.drop(fdStore, e.getKey(), e.getValue());
        }
        log.info("dropped {} descriptors of a device that is gone from the fd store ({})", fds.count(),
                String.join(", ", fds.all().keySet()));
    }

    /**
     * The device is gone (its connection ended): the store lets go of it, so that the next daemon
     * (Restart=on-failure) creates a new device instead of taking over a dead channel, failing,
     * and leaving the unit failed once systemd stops restarting it. {@code cuse} goes first: a
     * store without it is a first start whatever else it holds.
     */
    private void forgetDevice() {
        RestartState.drop(fdStore, RestartState.CUSE_NAME, List.of());
        RestartState.drop(fdStore, InFlightTable.NAME, List.of());
        restartState.dropFromStore();
    }

    /** The services around the device, in the order a stop and a hand-over both close them. */
    private void closeServices() {
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
    }

    /**
     * A stop with the device parked in the fd store: the next daemon (a restart) takes it over,
     * or the store lets it go (a full stop: systemd closes the stored descriptors once the unit
     * is inactive, and the device disappears with its channel). Either way nothing is torn down
     * here: the readers answer what they hold and stop reading, the broker stays until the tokens
     * handed out meanwhile are redeemed or expired, and the state is marked clean.
     */
    private void handOver() {
        boolean drained = cuse.handOver(HAND_OVER_TIMEOUT);
        long deadline = System.nanoTime() + Math.min(config.tokenLifetime().toNanos(), TOKEN_DRAIN_LIMIT.toNanos());
        while (broker != null && tokens.redeemable() > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (drained) {
            restartState.markCleanHandOver();
        } else {
            log.warn("a CUSE reader did not finish its request within {} s; the next daemon answers it",
                    HAND_OVER_TIMEOUT.toSeconds());
        }
        closeServices();
        // The regions live on in the store; the device and its alias too.
        device.detachAll();
        if (pidFileWritten) {
            try {
                Files.deleteIfExists(config.pidFile());
            } catch (IOException e) {
                log.warn("could not remove {}: {}", config.pidFile(), e.getMessage());
            }
        }
        log.info("handed over /dev/{} and {} regions to the fd store{}", config.deviceName(),
                device.registry().stats().areas(), drained ? "" : " (a request was still in flight)");
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

    /** What the pressure monitor purges: the registry's unpinned memory, oldest first. */
    static PurgeTarget purgeTarget(AreaRegistry registry) {
        return new PurgeTarget() {
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
        };
    }
}
