package org.ashmemd.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.pressure.PressureConfig;

/**
 * Everything the daemon is told on its command line.
 *
 * @param deviceName  the CUSE device name: /dev/NAME
 * @param runtimeDir  where the broker socket and pid file live
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
 */
public record DaemonConfig(String deviceName, Path runtimeDir, int mode, int workers, String brokerMode, boolean alias,
        String adminGroup, RegionLimits.Caps limits, InetSocketAddress metricsAddress, PressureConfig pressure,
        int devMajor, int devMinor) {
    /** register_chrdev_region refuses a static major from CHRDEV_MAJOR_MAX (512) on. */
    public static final int MAX_MAJOR = 511;
    /** Minors are 20 bits wide (MINORBITS). */
    public static final int MAX_MINOR = (1 << 20) - 1;

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
