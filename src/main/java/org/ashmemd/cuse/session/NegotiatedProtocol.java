package org.ashmemd.cuse.session;

import org.ashmemd.cuse.wire.FuseProtocol;

/**
 * The outcome of CUSE_INIT as the session answered it.
 *
 * @param kernelMinor the protocol minor the kernel announced
 * @param kernelFlags the CUSE_INIT flags the kernel offered
 * @param minor       the minor the session answered
 * @param flags       the CUSE_INIT flags the session answered
 * @param maxRead     announced largest READ chunk
 * @param maxWrite    announced largest WRITE chunk
 */
public record NegotiatedProtocol(int kernelMinor, int kernelFlags, int minor, int flags, int maxRead, int maxWrite) {

    /** Whether the kernel knows FUSE_NOTIFY_RESEND (Linux 6.9 on). */
    public boolean kernelSupportsResend() {
        return kernelMinor >= FuseProtocol.MIN_MINOR_RESEND;
    }

    public boolean unrestrictedIoctl() {
        return (flags & FuseProtocol.CUSE_UNRESTRICTED_IOCTL) != 0;
    }
}
