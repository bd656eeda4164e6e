package org.ashmemd.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.pressure.PressureConfig;

/**
 * Everything the daemon is told on its command line.
 *
 * @param deviceName  the CUSE device name: /dev/NAME
 * @param runtimeDir  where the broker and admin sockets and the pid file live
 * @param mode        the device node's permission bits
 * @param workers     threads reading /dev/cuse
 * @param brokerMode  the broker socket's permission bits, "rw-rw-rw-" style
 * @param alias       whether to create /dev/NAME&lt;boot_id&gt; (the path libcutils opens first)
 * @param adminGroup  a group allowed on the admin socket besides root, or null
 * @param limits      caps on regions per uid and per container
 * @param metricsAddress where to serve Prometheus metrics, or null for none
 * @param pressure    memory pressure trigger and unpinned soft limit
 * @param devMajor    the device's major number, 0 for a dynamic one
 * @param devMinor    the device's minor number (with a dynamic major, the first one tried)
 * @param tokenLifetime how long a broker token stays valid after GET_TOKEN
 * @param fdStore     park the device's channel, the regions' memory and the restart state in the
 *                    file descriptor store at $NOTIFY_SOCKET, and resume what it hands back
 */
public record DaemonConfig(String deviceName, Path runtimeDir, int mode, int workers, String brokerMode, boolean alias,
        String adminGroup, RegionLimits.Caps limits, InetSocketAddress metricsAddress, PressureConfig pressure,
        int devMajor, int devMinor, Duration tokenLifetime, boolean fdStore) {
    /** register_chrdev_region refuses a static major from CHRDEV_MAJOR_MAX (512) on. */
    public static final int MAX_MAJOR = 511;
    /** Minors are 20 bits wide (MINORBITS). */
    public static final int MAX_MINOR = (1 << 20) - 1;
    /**
     * A token is bound to the thread that asked for it and good once, so its lifetime only bounds
     * how long an unredeemed one is kept; it must outlast the client's way from GET_TOKEN to the
     * broker on a loaded or emulated machine, where that took more than 5 s.
     */
    public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(30);
    static final Duration MIN_TOKEN_LIFETIME = Duration.ofSeconds(1);
    static final Duration MAX_TOKEN_LIFETIME = Duration.ofHours(1);

    public DaemonConfig {
        if (deviceName.isEmpty() || deviceName.contains("/") || deviceName.startsWith(".")) {
            throw new IllegalArgumentException("bad device name '" + deviceName + "': a plain file name is needed");
        }
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("bad mode " + Integer.toOctalString(mode));
        }
        if (workers < 1 || workers > 256) {
            throw new IllegalArgumentException("workers must be 1..256, not " + workers);
        }
        if (devMajor < 0 || devMajor > MAX_MAJOR) {
            throw new IllegalArgumentException("device major must be 1.." + MAX_MAJOR + " (0: dynamic), not " + devMajor);
        }
        if (devMinor < 0 || devMinor > MAX_MINOR) {
            throw new IllegalArgumentException("device minor must be 0.." + MAX_MINOR + ", not " + devMinor);
        }
        if (tokenLifetime.compareTo(MIN_TOKEN_LIFETIME) < 0 || tokenLifetime.compareTo(MAX_TOKEN_LIFETIME) > 0) {
            throw new IllegalArgumentException("token lifetime must be 1s..1h, not " + tokenLifetime.toMillis() + " ms");
        }
    }

    public Path devicePath() {
        return Path.of("/dev", deviceName);
    }

    public Path brokerSocket() {
        return runtimeDir.resolve("broker.sock");
    }

    public Path adminSocket() {
        return runtimeDir.resolve("admin.sock");
    }

    public Path pidFile() {
        return runtimeDir.resolve("ashmemd.pid");
    }
}
