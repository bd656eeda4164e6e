package org.ashmemd.posix;

/**
 * A failure that the caller of a device operation or system call sees as an errno. The message
 * says why, for the one log line the daemon writes about it; it never reaches the client.
 */
public final class ErrnoException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public ErrnoException(Errno errno, String message) {
        this(errno.number(), message);
    }

    public ErrnoException(int errno, String message) {
        super(message, null, false, false); // thrown on ordinary client errors: no stack trace
        if (errno <= 0) {
            throw new IllegalArgumentException("errno must be positive: " + errno);
        }
        this.errno = errno;
    }

    /** The positive errno number. */
    public int errno() {
        return errno;
    }

    public String errnoName() {
        return Errno.nameOf(errno);
    }

    @Override
    public String toString() {
        return errnoName() + ": " + getMessage();
    }
}
