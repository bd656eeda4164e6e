package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/** {@code struct fuse_poll_out}, 8 bytes: the ready poll(2) event bits. */
public record PollOut(int revents) {
    public static final int SIZE = 8;

    public static PollOut decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        PollOut out = new PollOut(NativeBytes.getInt(b));
        NativeBytes.getInt(b); // padding
        return out;
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putInt(b, revents);
        NativeBytes.putInt(b, 0);
    }
}
