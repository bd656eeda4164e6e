package org.ashmemd.broker;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The broker's wire format (native-headers/ashmemd.h), host byte order. */
public final class BrokerWire {
    public static final int MAGIC = 0x31444d41; // "AMD1" in little-endian byte order
    public static final int REQUEST_SIZE = 16;
    public static final int REPLY_SIZE = 24;

    private BrokerWire() {
    }

    /** A decoded request: magic checked by the caller. */
    public record Request(int magic, int token, int reserved0, int reserved1) {
        public boolean wellFormed() {
            return magic == MAGIC && token > 0 && reserved0 == 0 && reserved1 == 0;
        }
    }

    /**
     * The request at the buffer's position, which does not move; throws
     * BufferUnderflowException when fewer than {@link #REQUEST_SIZE} bytes remain.
     */
    public static Request decodeRequest(ByteBuffer b) {
        requireRemaining(b, REQUEST_SIZE);
        ByteBuffer d = b.duplicate().order(ByteOrder.nativeOrder());
        int p = d.position();
        return new Request(d.getInt(p), d.getInt(p + 4), d.getInt(p + 8), d.getInt(p + 12));
    }

    public static void encodeRequest(ByteBuffer b, int token) {
        ByteBuffer d = b.order(ByteOrder.nativeOrder());
        d.putInt(MAGIC).putInt(token).putInt(0).putInt(0);
    }

    /** Writes a reply at the buffer's position; status is 0 or a positive errno. */
    public static void encodeReply(ByteBuffer b, int status, long size, int protMask) {
        ByteBuffer d = b.order(ByteOrder.nativeOrder());
        d.putInt(MAGIC).putInt(status).putLong(size).putInt(protMask).putInt(0);
    }

    public record Reply(int magic, int status, long size, int protMask) {
    }

    /**
     * The reply at the buffer's position, which does not move; throws
     * BufferUnderflowException when fewer than {@link #REPLY_SIZE} bytes remain.
     */
    public static Reply decodeReply(ByteBuffer b) {
        requireRemaining(b, REPLY_SIZE);
        ByteBuffer d = b.duplicate().order(ByteOrder.nativeOrder());
        int p = d.position();
        return new Reply(d.getInt(p), d.getInt(p + 4), d.getLong(p + 8), d.getInt(p + 16));
    }

    private static void requireRemaining(ByteBuffer b, int n) {
        if (b.remaining() < n) {
            throw new BufferUnderflowException();
        }
    }
}
