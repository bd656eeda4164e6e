package org.ashmemd.cuse.session;

/**
 * Told about every request a session has answered, for counters and latency histograms. Called
 * on the reader thread right after the reply is built, so it must be quick and must not block.
 */
@FunctionalInterface
public interface RequestObserver {
    /** Observes nothing; the session then does not even read the clock. */
    RequestObserver NONE = (opcode, ioctlCmd, errno, elapsedNanos) -> { };

    /**
     * @param opcode       the request's opcode number (see {@link org.ashmemd.cuse.wire.Opcode#of}),
     *                     0 when the frame was too short to carry one
     * @param ioctlCmd     the ioctl number for IOCTL requests, else 0
     * @param errno        the errno the request ended with (sent to the kernel, or, for RELEASE,
     *                     reported by the device and dropped), else 0
     * @param elapsedNanos time from receiving the frame to the finished reply
     */
    void requestDone(int opcode, int ioctlCmd, int errno, long elapsedNanos);
}
