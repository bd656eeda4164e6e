package org.ashmemd.procscan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** A character device's major:minor. */
public record DeviceNumber(int major, int minor) {
    /** The misc devices' major, which the kernel driver's /dev/ashmem had. */
    public static final int MISC_MAJOR = 10;

    /** Parses "MAJOR:MINOR", as sysfs' dev attributes and device cgroup rules write it. */
    public static DeviceNumber parse(String text) {
        String t = text.trim();
        int c = t.indexOf(':');
        if (c <= 0) {
            throw new IllegalArgumentException("not MAJOR:MINOR: '" + text + "'");
        }
        return new DeviceNumber(Integer.parseInt(t.substring(0, c)), Integer.parseInt(t.substring(c + 1)));
    }

    /** Decodes a Linux dev_t (st_rdev), whose major and minor bits are split in two parts each. */
    public static DeviceNumber fromRdev(long rdev) {
        int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
        int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
        return new DeviceNumber(major, minor);
    }

    /** The numbers of a CUSE device from {@code SYS/class/cuse/NAME/dev}; empty when there is none. */
    public static Optional<DeviceNumber> ofCuseDevice(Path sys, String name) {
        try {
            return Optional.of(parse(Files.readString(sys.resolve("class/cuse").resolve(name).resolve("dev"),
                    StandardCharsets.US_ASCII)));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return major + ":" + minor;
    }
}
