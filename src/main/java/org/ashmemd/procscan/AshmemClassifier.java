package org.ashmemd.procscan;

import java.util.Optional;

/**
 * Tells ashmem memory from other memory by what /proc shows of it.
 *
 * <ul>
 * <li>mappings: "/memfd:dev/ashmem/NAME (deleted)" (ashmemd names its memfds after the driver's
 *     backing files), any other "/memfd:NAME" (libcutils in memfd mode, and any other memfd user),
 *     "/dev/ashmem/NAME (deleted)" (the driver's backing file); unnamed regions drop "/NAME"</li>
 * <li>fds: the same memfd links, and fds to a character device named like the device
 *     ({@code /dev/ashmem}, or {@code /dev/ashmem<boot_id>} as newer libcutils opens it): ashmemd's
 *     when its numbers are the CUSE device's, the driver's otherwise</li>
 * </ul>
 */
public final class AshmemClassifier {
    public static final String DEFAULT_DEVICE = "ashmem";

    private static final String MEMFD = "/memfd:";
    private static final String ASHMEMD_MEMFD = "/memfd:dev/ashmem";
    private static final String DRIVER_FILE = "/dev/ashmem";
    private static final String DELETED = " (deleted)";

    private final String deviceName;
    private final DeviceNumber ashmemdDevice;

    /**
     * @param deviceName    the device's file name under /dev (ashmemd's is configurable)
     * @param ashmemdDevice the numbers of ashmemd's CUSE device, or null when it is not running
     */
    public AshmemClassifier(String deviceName, DeviceNumber ashmemdDevice) {
        this.deviceName = deviceName;
        this.ashmemdDevice = ashmemdDevice;
    }

    public String deviceName() {
        return deviceName;
    }

    public Optional<DeviceNumber> ashmemdDevice() {
        return Optional.ofNullable(ashmemdDevice);
    }

    /** The kind of memory a mapping or memfd fd link shows, or null when it is not ashmem. */
    public AshmemKind ofPath(String path) {
        if (path.startsWith(MEMFD)) {
            return isNamed(path, ASHMEMD_MEMFD) ? AshmemKind.ASHMEMD : AshmemKind.MEMFD;
        }
        if (isNamed(path, DRIVER_FILE)) {
            return AshmemKind.KERNEL;
        }
        return null;
    }

    /**
     * The region's name in a path {@link #ofPath} accepted: what SET_NAME (or memfd_create) was
     * given, "" for an unnamed region.
     */
    public static String regionName(String path) {
        String p = path.endsWith(DELETED) ? path.substring(0, path.length() - DELETED.length()) : path;
        String prefix;
        if (isNamed(path, ASHMEMD_MEMFD)) {
            prefix = ASHMEMD_MEMFD;
        } else if (p.startsWith(MEMFD)) {
            return p.substring(MEMFD.length());
        } else if (isNamed(path, DRIVER_FILE)) {
            prefix = DRIVER_FILE;
        } else {
            return p;
        }
        String rest = p.substring(prefix.length());
        return rest.startsWith("/") ? rest.substring(1) : rest;
    }

    /** Whether an fd link may be the ashmem device: then its numbers decide, see {@link #ofDevice}. */
    public boolean maybeDevice(String link) {
        if (link.startsWith(MEMFD) || link.endsWith(DELETED) && link.startsWith(DRIVER_FILE + "/")) {
            return false;
        }
        int slash = link.lastIndexOf('/');
        String file = link.substring(slash + 1);
        if (!file.startsWith(deviceName)) {
            return false;
        }
        String rest = file.substring(deviceName.length());
        return rest.isEmpty() || rest.equals(DELETED) || isBootId(rest);
    }

    /** The kind of an fd to a character device that {@link #maybeDevice} accepted. */
    public AshmemKind ofDevice(DeviceNumber device) {
        return device.equals(ashmemdDevice) ? AshmemKind.ASHMEMD : AshmemKind.KERNEL;
    }

    /** "path" or "path (deleted)" exactly, or "path/NAME...". */
    private static boolean isNamed(String path, String prefix) {
        if (!path.startsWith(prefix)) {
            return false;
        }
        if (path.length() == prefix.length()) {
            return true;
        }
        char c = path.charAt(prefix.length());
        return c == '/' || path.startsWith(DELETED, prefix.length()) && path.length() == prefix.length() + DELETED.length();
    }

    /** A boot id as /proc/sys/kernel/random/boot_id writes it (36 characters, hex and dashes). */
    private static boolean isBootId(String s) {
        if (s.length() != 36) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }
}
