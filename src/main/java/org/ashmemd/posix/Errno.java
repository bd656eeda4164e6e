package org.ashmemd.posix;

/**
 * The Linux errno values the daemon produces or inspects. Numbers are the generic Linux ones,
 * identical on x86, x86_64, arm and arm64.
 */
public enum Errno {
    EPERM(1),
    ENOENT(2),
    ESRCH(3),
    EINTR(4),
    EIO(5),
    ENXIO(6),
    E2BIG(7),
    EBADF(9),
    EAGAIN(11),
    ENOMEM(12),
    EACCES(13),
    EFAULT(14),
    EBUSY(16),
    EEXIST(17),
    ENODEV(19),
    EINVAL(22),
    EMFILE(24),
    ENOTTY(25),
    ENOSPC(28),
    ESPIPE(29),
    ERANGE(34),
    ENOSYS(38),
    EOVERFLOW(75),
    EPROTO(71),
    EOPNOTSUPP(95),
    ENOTCONN(107),
    ETIMEDOUT(110),
    ECONNABORTED(103),
    EDQUOT(122);

    private static final Errno[] BY_NUMBER = new Errno[256];

    static {
        for (Errno e : values()) {
            BY_NUMBER[e.number] = e;
        }
    }

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    /** The positive errno number. */
    public int number() {
        return number;
    }

    /** The errno with this number, or null when the daemon has no name for it. */
    public static Errno of(int number) {
        return number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
    }

    /** A printable name for any errno number, known or not. */
    public static String nameOf(int number) {
        Errno e = of(number);
        return e != null ? e.name() : "errno " + number;
    }
}
