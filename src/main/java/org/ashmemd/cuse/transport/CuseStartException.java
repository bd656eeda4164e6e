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

    /** The kernel accepted the INIT reply's write but did not create the device. */
    public static CuseStartException refused(String deviceName, int devMajor, int devMinor) {
        String number = devMajor == 0 ? ""
                : ", or device number " + devMajor + ":" + devMinor + " is not free";
        return new CuseStartException("the kernel refused CUSE device '" + deviceName
                + "': most likely the name is taken by another CUSE device (see /sys/class/cuse/)" + number
                + "; dmesg may show a 'CUSE:' line");
    }
}
