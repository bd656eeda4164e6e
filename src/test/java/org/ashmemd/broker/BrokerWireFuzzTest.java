package org.ashmemd.broker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Arbitrary bytes as what a broker client sent (and as what a client library would read back):
 * decoding gives the fields at their native-headers/ashmemd.h offsets without moving the
 * buffer, or BufferUnderflowException when the struct is not all there; a request is well formed
 * exactly when the header says so, and a well-formed one encodes back to the same bytes.
 *
 * <p>Replays {@code BrokerWireFuzzTestInputs/request/} in every test run; {@code JAZZER_FUZZ=1}
 * fuzzes it.
 */
class BrokerWireFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void request(byte[] bytes) {
        // the server's buffer is direct and exactly one request long; check any position too
        int skip = bytes.length > 0 ? (bytes[0] & 0xff) % 4 : 0;
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        direct.position(Math.min(skip, bytes.length));
        int start = direct.position();
        ByteBuffer fields = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());

        if (bytes.length - start < BrokerWire.REQUEST_SIZE) {
            assertThrows(BufferUnderflowException.class, () -> BrokerWire.decodeRequest(direct));
        } else {
            BrokerWire.Request r = BrokerWire.decodeRequest(direct);
            assertEquals(start, direct.position(), "decoding moved the buffer");
            assertEquals(fields.getInt(start), r.magic());
            assertEquals(fields.getInt(start + 4), r.token());
            assertEquals(fields.getInt(start + 8), r.reserved0());
            assertEquals(fields.getInt(start + 12), r.reserved1());
            boolean expected = r.magic() == BrokerWire.MAGIC && r.token() > 0 && r.reserved0() == 0 && r.reserved1() == 0;
            assertEquals(expected, r.wellFormed());
            if (r.wellFormed()) {
                ByteBuffer again = ByteBuffer.allocate(BrokerWire.REQUEST_SIZE);
                BrokerWire.encodeRequest(again, r.token());
                assertArrayEquals(Arrays.copyOfRange(bytes, start, start + BrokerWire.REQUEST_SIZE), again.array());
            }
        }

        if (bytes.length - start < BrokerWire.REPLY_SIZE) {
            assertThrows(BufferUnderflowException.class, () -> BrokerWire.decodeReply(direct));
        } else {
            BrokerWire.Reply r = BrokerWire.decodeReply(direct);
            assertEquals(start, direct.position(), "decoding moved the buffer");
            assertEquals(fields.getInt(start), r.magic());
            assertEquals(fields.getInt(start + 4), r.status());
            assertEquals(fields.getLong(start + 8), r.size());
            assertEquals(fields.getInt(start + 16), r.protMask());
            if (r.magic() == BrokerWire.MAGIC && fields.getInt(start + 20) == 0) {
                ByteBuffer again = ByteBuffer.allocate(BrokerWire.REPLY_SIZE);
                BrokerWire.encodeReply(again, r.status(), r.size(), r.protMask());
                assertArrayEquals(Arrays.copyOfRange(bytes, start, start + BrokerWire.REPLY_SIZE), again.array());
            }
        }
    }
}
