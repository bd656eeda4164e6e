package org.ashmemd.cuse.wire;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The device-info block of a CUSE_INIT reply: packed NUL-terminated {@code KEY=VALUE} strings of
 * which the kernel understands only {@code DEVNAME}, the name of the node under /dev.
 */
public final class CuseDevInfo {
    private static final String DEVNAME = "DEVNAME";
    /**
     * Names the kernel, sysfs and devtmpfs all take unchanged: no whitespace (the kernel strips
     * it), no '=' or NUL (they would end the key or the string), '/' only between non-empty
     * components (devtmpfs makes directories of them).
     */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*(/[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*)*");

    private CuseDevInfo() {
    }

    /** Throws IllegalArgumentException unless {@code name} can be a CUSE device name. */
    public static String requireValidName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid CUSE device name: " + name
                    + " (letters, digits, '._+@-', '/' between components)");
        }
        if (DEVNAME.length() + 2 + name.length() > FuseProtocol.CUSE_INIT_INFO_MAX) {
            throw new IllegalArgumentException("CUSE device name too long: " + name.length() + " characters");
        }
        return name;
    }

    /** The block {@code DEVNAME=<name>\0}. */
    public static byte[] encode(String deviceName) {
        return (DEVNAME + "=" + requireValidName(deviceName) + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The DEVNAME a block names, parsed by the kernel's rules (last byte NUL, empty strings
     * skipped, key and value trimmed, other keys ignored); throws IllegalArgumentException
     * where the kernel would fail the INIT.
     */
    public static String parseDevName(byte[] block) {
        if (block.length == 0 || block[block.length - 1] != 0) {
            throw new IllegalArgumentException("info not properly terminated");
        }
        String devName = null;
        int start = 0;
        for (int i = 0; i < block.length; i++) {
            if (block[i] != 0) {
                continue;
            }
            String entry = new String(block, start, i - start, StandardCharsets.ISO_8859_1);
            start = i + 1;
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.indexOf('=');
            String key = (eq < 0 ? entry : entry.substring(0, eq)).strip();
            String value = eq < 0 ? "" : entry.substring(eq + 1).strip();
            if (key.isEmpty()) {
                throw new IllegalArgumentException("empty key");
            }
            if (key.equals(DEVNAME)) {
                devName = value;
            }
        }
        if (devName == null || devName.isEmpty()) {
            throw new IllegalArgumentException("DEVNAME unspecified");
        }
        return devName;
    }
}
