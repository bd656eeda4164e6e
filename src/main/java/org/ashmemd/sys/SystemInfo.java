package org.ashmemd.sys;

/** Facts about the host the daemon runs on. */
public final class SystemInfo {

    private SystemInfo() {
    }

    public static boolean isRoot() {
        return Native.POSIX.geteuid() == 0;
    }

    /** The soft limit on open files (RLIMIT_NOFILE), or 1024 when it cannot be read. */
    public static long openFileLimit() {
        try {
            long cur = Native.POSIX.getrlimit(7).rlimCur(); // RLIMIT_NOFILE
            return cur > 0 ? cur : 1024;
        } catch (RuntimeException e) {
            return 1024;
        }
    }

    public static int pageSize() {
        long v = Native.POSIX.sysconf(jnr.constants.platform.Sysconf._SC_PAGESIZE);
        return v > 0 ? (int) v : 4096;
    }
}
