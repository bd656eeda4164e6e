package org.ashmemd.waydroid;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.ashmemd.procscan.DeviceNumber;

/**
 * Whether ashmemd is up, as Waydroid will see it: its device node exists (a character device on
 * the live system; under a test root any file) and its broker socket accepts connections. A
 * connection closed without a request is not counted by the broker as an error.
 */
final class AshmemdProbe {
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFSOCK = 0140000;

    /** The verdict and one line saying why. */
    record Result(boolean up, String detail) {
    }

    private AshmemdProbe() {
    }

    static Result probe(WaydroidLayout layout) {
        Path dev = layout.device();
        String device;
        try {
            int mode = (Integer) Files.getAttribute(dev, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) == S_IFCHR) {
                long rdev = (Long) Files.getAttribute(dev, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
                device = dev + " (char " + DeviceNumber.fromRdev(rdev) + ")";
            } else if (layout.rooted()) {
                device = dev.toString();
            } else {
                return new Result(false, dev + " exists but is not a character device");
            }
        } catch (IOException | UnsupportedOperationException e) {
            return new Result(false, dev + " is missing");
        }
        Path sock = layout.brokerSocket();
        try {
            int mode = (Integer) Files.getAttribute(sock, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFSOCK) {
                return new Result(false, sock + " is not a socket");
            }
        } catch (IOException | UnsupportedOperationException e) {
            return new Result(false, device + " is there but the broker socket " + sock + " is missing");
        }
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(sock));
        } catch (IOException e) {
            return new Result(false, sock + " does not accept connections (" + e.getMessage() + "): a stale socket?");
        }
        return new Result(true, device + ", " + sock);
    }
}
