package org.ashmemd.daemon;

import ch.qos.logback.classic.Level;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.ashmemd.cmdline.DurationConverter;
import org.ashmemd.cmdline.SizeConverter;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.cmdline.Version;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.metrics.MetricsServer;
import org.ashmemd.pressure.PressureConfig;
import org.ashmemd.sys.Bindings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** The ashmemd command: serves /dev/ashmem in the foreground until SIGTERM or SIGINT. */
@Command(name = "ashmemd", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        description = {"Serve Android's /dev/ashmem from user space through CUSE.",
            "Runs in the foreground; stops cleanly on SIGTERM or SIGINT."},
        exitCodeOnInvalidInput = Sysexits.USAGE)
public final class AshmemDaemon implements Callable<Integer> {
    @Option(names = "--device", paramLabel = "NAME", defaultValue = "ashmem",
            description = "Device name: serves /dev/NAME (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--runtime-dir", paramLabel = "DIR", defaultValue = "/run/ashmemd",
            description = "Directory for the broker and admin sockets, the pid file and --hold's hold.sock"
                    + " (default: ${DEFAULT-VALUE}).")
    java.nio.file.Path runtimeDir;

    @Option(names = "--mode", paramLabel = "OCTAL", defaultValue = "0666",
            description = "Permission bits of the device node (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "4",
            description = "Threads reading requests from the kernel (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}); debug logs one line per request.")
    String logLevel;

    @Option(names = "--admin-group", paramLabel = "GROUP",
            description = "Also let members of GROUP use the admin socket (default: root only).")
    String adminGroup;

    @Option(names = "--max-regions-per-uid", paramLabel = "N", defaultValue = "16384",
            description = "Open fails with EMFILE beyond N regions of one uid; 0 = no cap (default: ${DEFAULT-VALUE}).")
    int maxRegionsPerUid;

    @Option(names = "--max-bytes-per-uid", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "16G",
            description = "Open fails with ENOMEM once one uid's regions add up to SIZE; 0 = no cap (default: ${DEFAULT-VALUE}).")
    long maxBytesPerUid;

    @Option(names = "--max-regions-per-container", paramLabel = "N", defaultValue = "65536",
            description = "Open fails with EMFILE beyond N regions of one container; 0 = no cap (default: ${DEFAULT-VALUE}).")
    int maxRegionsPerContainer;

    @Option(names = "--max-bytes-per-container", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "64G",
            description = "Open fails with ENOMEM once one container's regions add up to SIZE; 0 = no cap (default: ${DEFAULT-VALUE}).")
    long maxBytesPerContainer;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics over HTTP at http://HOST:PORT/metrics (default: off).")
    String metricsAddress;

    @Option(names = "--pressure-trigger", paramLabel = "TRIGGER", defaultValue = PressureConfig.DEFAULT_TRIGGER,
            description = "Purge unpinned memory when memory pressure (PSI) reaches TRIGGER, e.g. 'some 200ms 2s'"
                    + " (stall within window); 'off' disables (default: ${DEFAULT-VALUE}).")
    String pressureTrigger;

    @Option(names = "--unpinned-soft-limit", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "0",
            description = "Purge the oldest unpinned memory whenever the unpinned total exceeds SIZE; 0 = no limit"
                    + " (default: ${DEFAULT-VALUE}).")
    long unpinnedSoftLimit;

    @Option(names = "--major", paramLabel = "N",
            description = {"Register the device under this fixed major number, 1-" + DaemonConfig.MAX_MAJOR
                    + ", so that it keeps its number across restarts (Android caches it) and device-cgroup rules can"
                    + " name it; the number must be free (see /proc/devices). 120-127 are reserved for local use;"
                    + " the systemd unit uses 121. Default: a dynamic major chosen by the kernel."})
    Integer major;

    @Option(names = "--minor", paramLabel = "M", defaultValue = "0",
            description = "The device's minor number, 0-" + DaemonConfig.MAX_MINOR + " (default: ${DEFAULT-VALUE}).")
    int minor;

    @Option(names = "--token-lifetime", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "30s",
            description = "How long a mapping token stays valid between the GET_TOKEN ioctl and the broker exchange,"
                    + " 1s-1h (default: ${DEFAULT-VALUE}).")
    Duration tokenLifetime;

    @Spec
    CommandSpec spec;

    @Option(names = "--no-alias", description = "Do not create /dev/NAME<boot_id>, the path Android's libcutils opens first.")
    boolean noAlias;

    @Option(names = "--fd-store", description = "Keep /dev/NAME and every region over restarts and crashes: park"
            + " the device's channel, the regions' memory and the daemon's state in the file descriptor store at"
            + " $NOTIFY_SOCKET (systemd's FileDescriptorStoreMax=, or ashmemd --hold), and resume what it hands back.")
    boolean fdStore;

    @Option(names = "--hold", description = "Without systemd: run the daemon as a child and keep what it parks"
            + " (--fd-store) in this process, at RUNTIME-DIR/hold.sock; start it again whenever it exits. SIGHUP"
            + " restarts the daemon, SIGTERM stops it and removes the device.")
    boolean hold;

    /** The libc bindings main() started making, or null (then the first native call makes them). */
    private Bindings bindings;

    @Override
    public Integer call() {
        Logger log = LoggerFactory.getLogger(AshmemDaemon.class);
        // Usage errors first, with --hold too: before a holder starts anything.
        checkDeviceNumber();
        DaemonConfig config;
        try {
            setLogLevel(logLevel);
            config = config();
        } catch (IllegalArgumentException e) {
            System.err.println("ashmemd: " + e.getMessage());
            return Sysexits.USAGE;
        }
        if (hold) {
            List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
            args.removeIf("--hold"::equals);
            awaitBindings();
            return new org.ashmemd.restart.Holder(runtimeDir.resolve("hold.sock"), args).run();
        }
        awaitBindings();
        try (Daemon daemon = Daemon.start(config)) {
            daemon.awaitStopSignal();
            if (daemon.lostReason() != null) {
                // not a requested stop: a failure, so that Restart=on-failure brings the device back
                log.error("stopping: the device is no longer served");
                return Sysexits.UNAVAILABLE;
            }
            log.info("stopping");
            return 0;
        } catch (Daemon.StartException e) {
            log.error("{}", e.getMessage());
            return e.exitCode();
        } catch (Exception e) {
            log.error("failed: {}", e.toString(), e);
            return Sysexits.SOFTWARE;
        }
    }

    /** What the parsed options say; IllegalArgumentException for a value they cannot hold. */
    DaemonConfig config() {
        int bits = Integer.parseInt(mode.startsWith("0") && mode.length() > 1 ? mode.substring(1) : mode, 8);
        RegionLimits.Caps caps = new RegionLimits.Caps(maxRegionsPerUid, maxBytesPerUid,
                maxRegionsPerContainer, maxBytesPerContainer);
        return new DaemonConfig(device, runtimeDir, bits, workers, "rw-rw-rw-", !noAlias, adminGroup, caps,
                metricsAddress == null ? null : MetricsServer.parseAddress(metricsAddress),
                PressureConfig.fromOptions(pressureTrigger, unpinnedSoftLimit),
                major == null ? 0 : major, minor, tokenLifetime, fdStore);
    }

    /** The kernel's limits on a static device number, as usage errors before anything starts. */
    private void checkDeviceNumber() {
        if (major != null && (major < 1 || major > DaemonConfig.MAX_MAJOR)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--major': " + major
                    + " is not a usable major; the kernel takes a static major from 1 to " + DaemonConfig.MAX_MAJOR
                    + " (leave --major out for a dynamic one)");
        }
        if (minor < 0 || minor > DaemonConfig.MAX_MINOR) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--minor': " + minor
                    + " is not a usable minor; minors are 0 to " + DaemonConfig.MAX_MINOR);
        }
    }

    static void setLogLevel(String level) {
        Level l = Level.toLevel(level, null);
        if (l == null) {
            throw new IllegalArgumentException("unknown log level '" + level + "'");
        }
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(l);
    }

    private void awaitBindings() {
        if (bindings != null) {
            bindings.await();
        }
    }

    public static void main(String[] args) {
        AshmemDaemon daemon = new AshmemDaemon();
        // jnr makes its classes for libc while picocli and logback start, on the other CPU
        daemon.bindings = Bindings.prepare();
        int code = new CommandLine(daemon).execute(args);
        System.exit(code);
    }
}
