package org.ashmemd.cuse.wire;

/** Numbers of the FUSE/CUSE kernel protocol that are not tied to one struct. */
public final class FuseProtocol {
    /** The only major version the kernel accepts in a CUSE_INIT reply. */
    public static final int KERNEL_MAJOR = 7;
    /** The newest minor this implementation knows (Linux 6.12). */
    public static final int MAX_MINOR = 41;
    /** From this minor on, RETRY iovecs are {@code fuse_ioctl_iovec} (2 × u64) for every caller. */
    public static final int MIN_MINOR_IOCTL_IOVEC = 16;
    /** Announced by a kernel from this minor on: {@code FUSE_NOTIFY_RESEND} exists. */
    public static final int MIN_MINOR_RESEND = 40;

    /** cuse_init_in/out flags bit 0: ioctls carry a raw arg and may ask for RETRY. */
    public static final int CUSE_UNRESTRICTED_IOCTL = 1;
    /** Longest device-info block after {@code cuse_init_out}. */
    public static final int CUSE_INIT_INFO_MAX = 4096;

    /** Unique-id bit 0: the request is an INTERRUPT for the id without this bit. */
    public static final long UNIQUE_INTERRUPT_BIT = 1L;
    /** Unique-id bit 63: the kernel re-queued the request after FUSE_NOTIFY_RESEND. */
    public static final long UNIQUE_RESEND_BIT = 1L << 63;

    /** Header error values must lie in −511…0, or the kernel rejects the reply with EINVAL. */
    public static final int MAX_ERRNO = 511;
    /** The kernel refuses reads of /dev/cuse into smaller buffers. */
    public static final int MIN_READ_BUFFER = 8192;
    /** Pages one CUSE request may carry (and one ioctl direction may move). */
    public static final int MAX_PAGES_PER_REQUEST = 32;
    /** At most this many in plus out iovecs in one RETRY reply. */
    public static final int IOCTL_MAX_IOV = 256;

    public static final int IOCTL_COMPAT = 1;
    public static final int IOCTL_UNRESTRICTED = 1 << 1;
    public static final int IOCTL_RETRY = 1 << 2;
    public static final int IOCTL_32BIT = 1 << 3;
    public static final int IOCTL_DIR = 1 << 4;
    public static final int IOCTL_COMPAT_X32 = 1 << 5;

    /** fuse_poll_in flags bit 0: a waiter wants a FUSE_NOTIFY_POLL for this kh. */
    public static final int POLL_SCHEDULE_NOTIFY = 1;

    private FuseProtocol() {
    }
}
