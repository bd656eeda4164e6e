package org.ashmemd.cmdline;

/**
 * The exit statuses of ashmemd and ashmemctl: sysexits.h's where one fits, one table for both
 * programs (the man pages and README list them).
 */
public final class Sysexits {
    public static final int OK = 0;
    /** ashmemctl: the command ran and found what it looks for (leaks) or something to do. */
    public static final int FOUND = 1;
    /** EX_USAGE: a bad option or argument. */
    public static final int USAGE = 64;
    /** EX_NOINPUT: no such region, no Waydroid installation. */
    public static final int NOT_FOUND = 66;
    /**
     * EX_UNAVAILABLE: the daemon, the kernel's CUSE or /proc is unavailable; ashmemd also exits
     * with it when it loses its device, so that the service manager restarts it.
     */
    public static final int UNAVAILABLE = 69;
    /** EX_SOFTWARE: an internal error, or an incomplete installation. */
    public static final int SOFTWARE = 70;
    /** EX_IOERR: an I/O error. */
    public static final int IO_ERROR = 74;
    /** EX_NOPERM: permission denied. */
    public static final int NO_PERMISSION = 77;

    private Sysexits() {
    }
}
