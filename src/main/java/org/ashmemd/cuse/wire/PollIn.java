package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_poll_in}, 24 bytes.
 *
 * @param fh     from OPEN
 * @param kh     kernel handle for FUSE_NOTIFY_POLL (not fh)
 * @param flags  {@link FuseProtocol#POLL_SCHEDULE_NOTIFY} when a waiter is registered
 * @param events requested poll(2) event bits
 */
public record PollIn(long fh, long kh, int flags, int events) {
    public static final int SIZE = 24;

    public static PollIn decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new PollIn(NativeBytes.getLong(b), NativeBytes.getLong(b), NativeBytes.getInt(b),
                NativeBytes.getInt(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putLong(b, fh);
        NativeBytes.putLong(b, kh);
        NativeBytes.putInt(b, flags);
        NativeBytes.putInt(b, events);
    }

    /** For the debug line. */
    @Override
    public String toString() {
        return "fh=" + Long.toUnsignedString(fh) + " kh=" + Long.toUnsignedString(kh) + " flags=0x"
                + Integer.toHexString(flags) + " events=0x" + Integer.toHexString(events);
    }
}
