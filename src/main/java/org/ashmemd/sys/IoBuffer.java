package org.ashmemd.sys;

import java.nio.ByteBuffer;
import jnr.ffi.Pointer;

/**
 * A direct buffer wrapped for native calls once. jnr wraps a ByteBuffer passed to a call with a
 * new object and a JNI call for its address, every time: on a path taken per request (a CUSE
 * reader's frames, the broker's messages) that costs more than the system call itself under
 * emulation. Calls that take an IoBuffer read or write from index 0 and leave the buffer's
 * position and limit to the caller.
 */
public final class IoBuffer {
    private final ByteBuffer bytes;
    final Pointer base;

    public IoBuffer(int capacity) {
        bytes = ByteBuffer.allocateDirect(capacity);
        base = Native.pointer(bytes);
    }

    public ByteBuffer bytes() {
        return bytes;
    }

    public int capacity() {
        return bytes.capacity();
    }
}
