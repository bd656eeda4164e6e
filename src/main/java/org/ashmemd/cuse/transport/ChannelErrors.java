package org.ashmemd.cuse.transport;

import org.ashmemd.posix.Errno;

/** What a reader thread does about a failed read() or write() on the CUSE channel. */
final class ChannelErrors {

    enum ReadAction {
        /** Interrupted by a signal: read again. */
        RETRY,
        /** The connection is aborted (abort file, failed INIT, closed): stop reading. */
        GONE,
        /** The buffer is smaller than the kernel demands: every further read fails too. */
        FATAL,
        /** A fault on this one request (the kernel failed its caller): go on. */
        SKIP
    }

    enum WriteAction {
        /** Interrupted by a signal: write again. */
        RETRY,
        /** The request was interrupted away or the connection aborted: nobody waits for the reply. */
        STALE,
        /** The kernel refused the reply (EINVAL means a malformed reply): log it and go on. */
        FAILED
    }

    private ChannelErrors() {
    }

    static ReadAction onRead(int errno) {
        Errno e = Errno.of(errno);
        if (e == null) {
            return ReadAction.SKIP;
        }
        switch (e) {
            case EINTR:
            case EAGAIN:
                return ReadAction.RETRY;
            case ENODEV:
            case ECONNABORTED:
            case EBADF:
                return ReadAction.GONE;
            case EINVAL:
                return ReadAction.FATAL;
            default:
                return ReadAction.SKIP;
        }
    }

    static WriteAction onWrite(int errno) {
        if (errno == Errno.EINTR.number()) {
            return WriteAction.RETRY;
        }
        if (errno == Errno.ENOENT.number()) {
            return WriteAction.STALE;
        }
        return WriteAction.FAILED;
    }
}
