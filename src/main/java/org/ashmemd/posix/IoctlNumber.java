package org.ashmemd.posix;

/**
 * The generic Linux ioctl number encoding (x86, x86_64, arm, arm64):
 * bits 0-7 number, 8-15 type, 16-29 argument size, 30-31 direction.
 */
public final class IoctlNumber {
    public static final int DIR_NONE = 0;
    public static final int DIR_WRITE = 1; // user space writes, the driver reads
    public static final int DIR_READ = 2; // the driver writes, user space reads

    private IoctlNumber() {
    }

    public static int encode(int dir, int type, int nr, int size) {
        return (dir << 30) | ((size & 0x3fff) << 16) | ((type & 0xff) << 8) | (nr & 0xff);
    }

    public static int io(int type, int nr) {
        return encode(DIR_NONE, type, nr, 0);
    }

    public static int iow(int type, int nr, int size) {
        return encode(DIR_WRITE, type, nr, size);
    }

    public static int ior(int type, int nr, int size) {
        return encode(DIR_READ, type, nr, size);
    }

    public static int iowr(int type, int nr, int size) {
        return encode(DIR_READ | DIR_WRITE, type, nr, size);
    }

    public static int dir(int cmd) {
        return cmd >>> 30;
    }

    public static int type(int cmd) {
        return (cmd >>> 8) & 0xff;
    }

    public static int nr(int cmd) {
        return cmd & 0xff;
    }

    public static int size(int cmd) {
        return (cmd >>> 16) & 0x3fff;
    }

    public static String toHex(int cmd) {
        return String.format("0x%08x", cmd);
    }
}
