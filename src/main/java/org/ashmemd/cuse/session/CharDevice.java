package org.ashmemd.cuse.session;

import java.nio.ByteBuffer;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/**
 * The character device a CUSE session serves: the file operations the kernel forwards, with the
 * wire format already decoded. Implementations know nothing of FUSE framing; the session knows
 * nothing of what the device means. Methods are called concurrently from several reader threads
 * and must not block for long: a caller waits on every answer.
 *
 * <p>An {@link ErrnoException} becomes an error reply with that errno.
 */
public interface CharDevice {

    /**
     * OPEN: a new open file description. Returns the handle the kernel echoes in every later
     * request for it. {@code flags} are the open flags without O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC.
     */
    long open(Caller caller, int flags) throws ErrnoException;

    /**
     * RELEASE: the last close of an open file description (its dups, forks and passed copies
     * included). The closing thread waits uninterruptibly, so this must be quick.
     */
    void release(long fh, int flags);

    /**
     * READ: fill {@code dst} (its remaining bytes are the most the kernel accepts) and return the
     * number of bytes put there; 0 means end of file. {@code offsetInCall} counts the bytes earlier
     * chunks of the same read(2) already returned: the kernel keeps no file position.
     */
    int read(Caller caller, long fh, long offsetInCall, ByteBuffer dst, int fileFlags) throws ErrnoException;

    /** WRITE: returns how many of {@code src}'s bytes were accepted. */
    int write(Caller caller, long fh, long offsetInCall, ByteBuffer src, int fileFlags) throws ErrnoException;

    /** IOCTL: one round of an unrestricted ioctl. */
    IoctlReply ioctl(Caller caller, IoctlRequest request) throws ErrnoException;

    /**
     * POLL: the default ENOSYS makes the kernel answer every later poll with "readable and
     * writable" by itself, which is what a device without a poll method does.
     */
    default int poll(Caller caller, long fh, int events) throws ErrnoException {
        throw new ErrnoException(Errno.ENOSYS, "poll not supported");
    }
}
