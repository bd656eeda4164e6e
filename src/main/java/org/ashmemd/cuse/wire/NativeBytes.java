package org.ashmemd.cuse.wire;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads and writes wire integers in the host's byte order, whatever order the buffer is set to:
 * a fresh {@link ByteBuffer} is big-endian, the kernel is not.
 */
final class NativeBytes {
    static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private NativeBytes() {
    }

    static void requireRemaining(ByteBuffer b, int n) {
        if (b.remaining() < n) {
            throw new BufferUnderflowException();
        }
    }

    static void requireRoom(ByteBuffer b, int n) {
        if (b.remaining() < n) {
            throw new BufferOverflowException();
        }
    }

    static short getShort(ByteBuffer b) {
        short v = b.getShort();
        return b.order() == NATIVE ? v : Short.reverseBytes(v);
    }

    static int getInt(ByteBuffer b) {
        int v = b.getInt();
        return b.order() == NATIVE ? v : Integer.reverseBytes(v);
    }

    static int getInt(ByteBuffer b, int index) {
        int v = b.getInt(index);
        return b.order() == NATIVE ? v : Integer.reverseBytes(v);
    }

    static long getUnsignedInt(ByteBuffer b) {
        return Integer.toUnsignedLong(getInt(b));
    }

    static long getLong(ByteBuffer b) {
        long v = b.getLong();
        return b.order() == NATIVE ? v : Long.reverseBytes(v);
    }

    static long getLong(ByteBuffer b, int index) {
        long v = b.getLong(index);
        return b.order() == NATIVE ? v : Long.reverseBytes(v);
    }

    static void putShort(ByteBuffer b, short v) {
        b.putShort(b.order() == NATIVE ? v : Short.reverseBytes(v));
    }

    static void putInt(ByteBuffer b, int v) {
        b.putInt(b.order() == NATIVE ? v : Integer.reverseBytes(v));
    }

    static void putInt(ByteBuffer b, int index, int v) {
        b.putInt(index, b.order() == NATIVE ? v : Integer.reverseBytes(v));
    }

    /** Writes a u32 that the caller holds as an unsigned long; higher bits must be clear. */
    static void putUnsignedInt(ByteBuffer b, long v) {
        if ((v >>> 32) != 0) {
            throw new IllegalArgumentException("not a u32: " + v);
        }
        putInt(b, (int) v);
    }

    static void putLong(ByteBuffer b, long v) {
        b.putLong(b.order() == NATIVE ? v : Long.reverseBytes(v));
    }

    static void putZeros(ByteBuffer b, int n) {
        for (int i = 0; i < n; i++) {
            b.put((byte) 0);
        }
    }

    static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }
}
