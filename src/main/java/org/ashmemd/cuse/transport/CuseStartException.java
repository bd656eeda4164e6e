package org.ashmemd.cuse.transport;

import java.io.IOException;
import org.ashmemd.posix.Errno;

/** The CUSE device could not be created; the message says why and what to do, on one line. */
public final class CuseStartException extends IOException {
    private static final long serialVersionUID = 1L;

    public CuseStartException(String message) {
        super(message);
    }

    public CuseStartException(String message, Throwable cause) {
        super(message, cause);
    }

    /** For a failed open() of the CUSE channel. */
    public static CuseStartException openFailed(String channelPath, int errno) {
        return new CuseStartException(openFailureMessage(channelPath, errno));
    }

    static String openFailureMessage(String channelPath, int errno) {
        Errno e = Errno.of(errno);
        if (e == null) {
            return "cannot open " + channelPath + ": " + Errno.nameOf(errno);
        }
        switch (e) {
            case ENOENT:
                return "cannot open " + channelPath + ": ENOENT, no such device node; load the module with `modprobe cuse`"
                        + " (in a container: mknod " + channelPath + " c 10 203)";
            case ENODEV:
            case ENXIO:
                return "cannot open " + channelPath + ": " + e.name()
                        + ", the kernel has no CUSE driver loaded; load the module with `modprobe cuse`";
            case EACCES:
            case EPERM:
                return "cannot open " + channelPath + ": " + e.name()
                        + "; ashmemd must run as root (in a container the device cgroup must also allow c 10:203)";
            default:
                return "cannot open " + channelPath + ": " + e.name();
        }
    }

    /**
     * The kernel accepted the INIT reply's write but did not create the device.
     *
     * @param nameTaken    whether another CUSE device holds the name now
     * @param majorHolders the names /proc/devices lists under a static major (empty when none or dynamic)
     */
    public static CuseStartException refused(String deviceName, int devMajor, int devMinor, boolean nameTaken,
            java.util.List<String> majorHolders) {
        if (nameTaken || devMajor == 0) {
            return new CuseStartException("the kernel refused CUSE device '" + deviceName
                    + "': most likely the name is taken by another CUSE device (see /sys/class/cuse/)"
                    + "; dmesg may show a 'CUSE:' line");
        }
        String holders = majorHolders.isEmpty() ? ""
                : " (/proc/devices lists major " + devMajor + " for " + String.join(", ", majorHolders) + ")";
        return new CuseStartException("device number " + devMajor + ":" + devMinor + " for /dev/" + deviceName
                + " is taken or invalid" + holders + ": the kernel refused to register it (dmesg: 'CUSE: failed to"
                + " register chrdev region'); pick a free one with --major/--minor, or drop --major for a dynamic one");
    }

    /**
     * The character device names {@code /proc/devices} lists under {@code major}: who holds
     * (part of) that major. Block devices are not counted.
     */
    public static java.util.List<String> charDeviceHolders(String procDevices, int major) {
        java.util.List<String> names = new java.util.ArrayList<>();
        boolean chars = false;
        for (String line : procDevices.split("\n")) {
            String l = line.strip();
            if (l.endsWith(":")) {
                chars = l.equals("Character devices:");
                continue;
            }
            if (!chars || l.isEmpty()) {
                continue;
            }
            int space = l.indexOf(' ');
            if (space > 0 && l.substring(0, space).equals(Integer.toString(major))) {
                names.add(l.substring(space + 1).strip());
            }
        }
        return names;
    }
}
