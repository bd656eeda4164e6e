package org.ashmemd.cuse.transport;

import java.nio.file.Path;

/**
 * A CUSE device the kernel has created.
 *
 * @param name  the DEVNAME, also the node's path under /dev
 * @param major the device major (dynamic unless configured)
 * @param minor the device minor
 */
public record DeviceInfo(String name, int major, int minor) {

    /** The node devtmpfs creates for it. */
    public Path devNode() {
        return Path.of("/dev").resolve(name);
    }

    /** {@code major:minor}, as in sysfs and for device cgroup rules. */
    public String numbers() {
        return major + ":" + minor;
    }

    /** The directory name under /sys/class/cuse: sysfs cannot hold '/', so the kernel writes '!'. */
    public static String sysfsName(String deviceName) {
        return deviceName.replace('/', '!');
    }

    /** Parses the {@code major:minor} line of {@code /sys/class/cuse/<name>/dev}. */
    public static DeviceInfo parse(String name, String devFileContent) {
        String s = devFileContent.strip();
        int colon = s.indexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("not a major:minor pair: '" + s + "'");
        }
        try {
            return new DeviceInfo(name, Integer.parseInt(s.substring(0, colon)), Integer.parseInt(s.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a major:minor pair: '" + s + "'", e);
        }
    }
}
