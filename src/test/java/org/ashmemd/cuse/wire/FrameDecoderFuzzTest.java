package org.ashmemd.cuse.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Arbitrary bytes as a request frame read from /dev/cuse, into the header decoder and into the
 * decoder of every request body the session parses. The decoders' contract: a struct when the
 * bytes are there, {@link BufferUnderflowException} (and the position unmoved) when they are not,
 * nothing else; what they decode encodes back to the same bytes, in either buffer byte order.
 * The device-info parser's contract: a non-empty name or IllegalArgumentException.
 *
 * <p>Replays {@code FrameDecoderFuzzTestInputs/decode/} in every test run; {@code JAZZER_FUZZ=1}
 * fuzzes it.
 */
class FrameDecoderFuzzTest {
    private static final ByteOrder OTHER = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
            ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;

    /** A request struct: its size, decoder and encoder. */
    private record Body<T>(String name, int size, Function<ByteBuffer, T> decode, BiConsumer<T, ByteBuffer> encode) {
    }

    private static final List<Body<?>> BODIES = List.of(
            new Body<>("cuse_init_in", CuseInitIn.SIZE, CuseInitIn::decode, CuseInitIn::encode),
            new Body<>("fuse_open_in", OpenIn.SIZE, OpenIn::decode, OpenIn::encode),
            new Body<>("fuse_read_in", ReadIn.SIZE, ReadIn::decode, ReadIn::encode),
            new Body<>("fuse_write_in", WriteIn.SIZE, WriteIn::decode, WriteIn::encode),
            new Body<>("fuse_release_in", ReleaseIn.SIZE, ReleaseIn::decode, ReleaseIn::encode),
            new Body<>("fuse_interrupt_in", InterruptIn.SIZE, InterruptIn::decode, InterruptIn::encode),
            new Body<>("fuse_ioctl_in", IoctlIn.SIZE, IoctlIn::decode, IoctlIn::encode),
            new Body<>("fuse_poll_in", PollIn.SIZE, PollIn::decode, PollIn::encode));

    @FuzzTest(maxDuration = "10m")
    void decode(byte[] frame) {
        ByteBuffer in = ByteBuffer.wrap(frame).order(ByteOrder.nativeOrder());
        assertEquals(frame.length >= 8 ? ByteBuffer.wrap(frame, 4, 4).order(ByteOrder.nativeOrder()).getInt() : 0,
                InHeader.peekOpcode(in));
        assertEquals(frame.length >= 16, InHeader.hasUnique(in));
        InHeader h = roundTrip(frame, 0, InHeader.SIZE, InHeader::decode, InHeader::encode);
        if (h == null) {
            return;
        }
        assertEquals(InHeader.peekUnique(in), h.unique());
        assertEquals(h.totalExtlen() * 8, h.extensionBytes());
        Opcode op = Opcode.of(h.opcode());
        if (op != null) {
            assertEquals(h.opcode(), op.number());
        }
        // the bytes after the header, as every body the session decodes
        for (Body<?> body : BODIES) {
            roundTrip(frame, InHeader.SIZE, body.size(), body.decode(), encoder(body));
        }
        devInfo(Arrays.copyOfRange(frame, InHeader.SIZE, frame.length));
    }

    @SuppressWarnings("unchecked")
    private static <T> BiConsumer<Object, ByteBuffer> encoder(Body<T> body) {
        return (o, b) -> body.encode().accept((T) o, b);
    }

    /**
     * Decodes {@code size} bytes at {@code offset} in both byte orders; returns the struct, or
     * null after checking the underflow when fewer bytes are there.
     */
    private static <T> T roundTrip(byte[] frame, int offset, int size, Function<ByteBuffer, T> decode,
            BiConsumer<? super T, ByteBuffer> encode) {
        ByteBuffer nativeOrder = ByteBuffer.wrap(frame).order(ByteOrder.nativeOrder()).position(Math.min(offset, frame.length));
        ByteBuffer otherOrder = ByteBuffer.wrap(frame).order(OTHER).position(Math.min(offset, frame.length));
        if (frame.length - offset < size) {
            int before = nativeOrder.position();
            assertThrows(BufferUnderflowException.class, () -> decode.apply(nativeOrder));
            assertEquals(before, nativeOrder.position(), "a failed decode moved the position");
            return null;
        }
        T decoded = decode.apply(nativeOrder);
        assertEquals(offset + size, nativeOrder.position());
        assertEquals(decoded, decode.apply(otherOrder), "decoded differently in the other byte order");
        ByteBuffer again = ByteBuffer.allocate(size).order(OTHER);
        encode.accept(decoded, again);
        assertFalse(again.hasRemaining());
        assertArrayEquals(Arrays.copyOfRange(frame, offset, offset + size), again.array(),
                "encodes back to other bytes");
        return decoded;
    }

    /** The kernel's DEVNAME rules: a non-empty trimmed name, or IllegalArgumentException. */
    private static void devInfo(byte[] block) {
        String name;
        try {
            name = CuseDevInfo.parseDevName(block);
        } catch (IllegalArgumentException e) {
            return;
        }
        assertFalse(name.isEmpty());
        assertEquals(name.strip(), name);
        boolean valid;
        try {
            CuseDevInfo.requireValidName(name);
            valid = true;
        } catch (IllegalArgumentException e) {
            valid = false;
        }
        if (valid) {
            assertEquals(name, CuseDevInfo.parseDevName(CuseDevInfo.encode(name)));
        }
    }
}
