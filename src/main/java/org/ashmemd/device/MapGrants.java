package org.ashmemd.device;

import org.ashmemd.posix.ErrnoException;

/**
 * Where the device deposits a validated shared mapping for the broker to hand out: returns a
 * one-shot token (1..2^31-1) bound to the open file and to the calling process.
 */
public interface MapGrants {
    int issue(OpenFile file, int callerPid, int prot) throws ErrnoException;

    /** The open file is gone: its outstanding tokens die with it. */
    void revoke(OpenFile file);
}
