package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/** {@code struct fuse_interrupt_in}, 8 bytes: the id of the interrupted request. */
public record InterruptIn(long unique) {
    public static final int SIZE = 8;

    public static InterruptIn decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new InterruptIn(NativeBytes.getLong(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putLong(b, unique);
    }

    /** For the debug line: "of N", the request it interrupts. */
    @Override
    public String toString() {
        return "of " + Long.toUnsignedString(unique);
    }
}
