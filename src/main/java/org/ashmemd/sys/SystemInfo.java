package org.ashmemd.sys;

/** Facts about the host the daemon runs on. */
public final class SystemInfo {

    private SystemInfo() {
    }

    public static boolean isRoot() {
        return Native.POSIX.geteuid() == 0;
    }

    public static int pageSize() {
        long v = Native.POSIX.sysconf(jnr.constants.platform.Sysconf._SC_PAGESIZE);
        return v > 0 ? (int) v : 4096;
    }
}
