package org.ashmemd.device;

import org.ashmemd.posix.IoctlNumber;

/**
 * The ioctl numbers the device answers: the ashmem driver's and ashmemd's two private ones.
 * Literals, so they can be switch labels; a test checks each against its encoding.
 */
public final class AshmemIoctl {
    public static final int TYPE = 0x77;

    public static final int SET_NAME = 0x41007701; // IoctlNumber.iow(TYPE, 1, Area.NAME_LEN)
    public static final int GET_NAME = 0x81007702; // IoctlNumber.ior(TYPE, 2, Area.NAME_LEN)
    public static final int SET_SIZE = 0x40087703; // IoctlNumber.iow(TYPE, 3, 8)
    public static final int GET_SIZE = 0x00007704; // IoctlNumber.io(TYPE, 4)
    public static final int SET_PROT_MASK = 0x40087705; // IoctlNumber.iow(TYPE, 5, 8)
    public static final int GET_PROT_MASK = 0x00007706; // IoctlNumber.io(TYPE, 6)
    public static final int PIN = 0x40087707; // IoctlNumber.iow(TYPE, 7, 8)
    public static final int UNPIN = 0x40087708; // IoctlNumber.iow(TYPE, 8, 8)
    public static final int GET_PIN_STATUS = 0x00007709; // IoctlNumber.io(TYPE, 9)
    public static final int PURGE_ALL_CACHES = 0x0000770a; // IoctlNumber.io(TYPE, 10)
    public static final int GET_FILE_ID = 0x8008770b; // IoctlNumber.ior(TYPE, 11, 8)

    /** What 32-bit callers send for the commands declared with size_t / unsigned long. */
    public static final int COMPAT_SET_SIZE = 0x40047703; // IoctlNumber.iow(TYPE, 3, 4)
    public static final int COMPAT_SET_PROT_MASK = 0x40047705; // IoctlNumber.iow(TYPE, 5, 4)
    public static final int COMPAT_GET_FILE_ID = 0x8004770b; // IoctlNumber.ior(TYPE, 11, 4)

    /** ashmemd: validate an mmap, create the memory, return a one-shot broker token. */
    public static final int ASHMEMD_GET_TOKEN = 0x000077a0; // IoctlNumber.io(TYPE, 0xA0)
    /** ashmemd: lseek on the region; struct ashmemd_seek in and out. */
    public static final int ASHMEMD_SEEK = 0xc01077a1; // IoctlNumber.iowr(TYPE, 0xA1, 16)
    public static final int SEEK_STRUCT_SIZE = 16;

    /** GET_TOKEN argument fields (native-headers/ashmemd.h). */
    public static final int MAP_PROT_MASK = 0x7;
    public static final int MAP_SHARED = 0x8;
    public static final int MAP_PAGES_SHIFT = 4;
    public static final long MAP_MAX_PAGES = 0x0fffffffL;

    private AshmemIoctl() {
    }

    /**
     * Whether a successful {@code cmd} changes what a restarted daemon must know of the region
     * (PURGE_ALL_CACHES is reported per region by the purge itself).
     */
    public static boolean changesState(int cmd) {
        switch (cmd) {
            case SET_NAME:
            case SET_SIZE:
            case COMPAT_SET_SIZE:
            case SET_PROT_MASK:
            case COMPAT_SET_PROT_MASK:
            case PIN:
            case UNPIN:
            case ASHMEMD_GET_TOKEN:
            case ASHMEMD_SEEK:
                return true;
            default:
                return false;
        }
    }

    /** Whether a successful {@code cmd} changes only the region's unpinned ranges. */
    public static boolean changesPinsOnly(int cmd) {
        return cmd == PIN || cmd == UNPIN;
    }

    /** A readable name for logs. */
    public static String name(int cmd) {
        if (cmd == SET_NAME) {
            return "SET_NAME";
        } else if (cmd == GET_NAME) {
            return "GET_NAME";
        } else if (cmd == SET_SIZE || cmd == COMPAT_SET_SIZE) {
            return "SET_SIZE";
        } else if (cmd == GET_SIZE) {
            return "GET_SIZE";
        } else if (cmd == SET_PROT_MASK || cmd == COMPAT_SET_PROT_MASK) {
            return "SET_PROT_MASK";
        } else if (cmd == GET_PROT_MASK) {
            return "GET_PROT_MASK";
        } else if (cmd == PIN) {
            return "PIN";
        } else if (cmd == UNPIN) {
            return "UNPIN";
        } else if (cmd == GET_PIN_STATUS) {
            return "GET_PIN_STATUS";
        } else if (cmd == PURGE_ALL_CACHES) {
            return "PURGE_ALL_CACHES";
        } else if (cmd == GET_FILE_ID || cmd == COMPAT_GET_FILE_ID) {
            return "GET_FILE_ID";
        } else if (cmd == ASHMEMD_GET_TOKEN) {
            return "ASHMEMD_GET_TOKEN";
        } else if (cmd == ASHMEMD_SEEK) {
            return "ASHMEMD_SEEK";
        }
        return IoctlNumber.toHex(cmd);
    }
}
