package org.ashmemd.cuse.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class WireCodecTest {
    private static final ByteOrder OTHER = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
            ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;

    /** One struct: its size, a random instance, its encoder and decoder. */
    record Codec<T>(String name, int size, Function<Random, T> random, BiConsumer<T, ByteBuffer> encode,
                    Function<ByteBuffer, T> decode) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static long u32(Random r) {
        return Integer.toUnsignedLong(r.nextInt());
    }

    static Stream<Arguments> codecs() {
        return Stream.of(
                new Codec<>("fuse_in_header", 40,
                        r -> new InHeader(u32(r), r.nextInt(), r.nextLong(), r.nextLong(), r.nextInt(), r.nextInt(),
                                r.nextInt(), r.nextInt(1 << 16), r.nextInt(1 << 16)),
                        InHeader::encode, InHeader::decode),
                new Codec<>("fuse_out_header", 16, r -> new OutHeader(r.nextInt(), r.nextInt(), r.nextLong()),
                        OutHeader::encode, OutHeader::decode),
                new Codec<>("cuse_init_in", 16, r -> new CuseInitIn(r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt()),
                        CuseInitIn::encode, CuseInitIn::decode),
                new Codec<>("cuse_init_out", 72,
                        r -> new CuseInitOut(r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                                r.nextInt(), r.nextInt()),
                        CuseInitOut::encode, CuseInitOut::decode),
                new Codec<>("fuse_open_in", 8, r -> new OpenIn(r.nextInt(), r.nextInt()), OpenIn::encode, OpenIn::decode),
                new Codec<>("fuse_open_out", 16, r -> new OpenOut(r.nextLong(), r.nextInt(), r.nextInt()),
                        OpenOut::encode, OpenOut::decode),
                new Codec<>("fuse_read_in", 40,
                        r -> new ReadIn(r.nextLong(), r.nextLong(), u32(r), r.nextInt(), r.nextLong(), r.nextInt(), r.nextInt()),
                        ReadIn::encode, ReadIn::decode),
                new Codec<>("fuse_write_in", 40,
                        r -> new WriteIn(r.nextLong(), r.nextLong(), u32(r), r.nextInt(), r.nextLong(), r.nextInt(), r.nextInt()),
                        WriteIn::encode, WriteIn::decode),
                new Codec<>("fuse_write_out", 8, r -> new WriteOut(u32(r)), WriteOut::encode, WriteOut::decode),
                new Codec<>("fuse_release_in", 24, r -> new ReleaseIn(r.nextLong(), r.nextInt(), r.nextInt(), r.nextLong()),
                        ReleaseIn::encode, ReleaseIn::decode),
                new Codec<>("fuse_interrupt_in", 8, r -> new InterruptIn(r.nextLong()), InterruptIn::encode,
                        InterruptIn::decode),
                new Codec<>("fuse_ioctl_in", 32,
                        r -> new IoctlIn(r.nextLong(), r.nextInt(), r.nextInt(), r.nextLong(), u32(r), u32(r)),
                        IoctlIn::encode, IoctlIn::decode),
                new Codec<>("fuse_ioctl_out", 16, r -> new IoctlOut(r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt()),
                        IoctlOut::encode, IoctlOut::decode),
                new Codec<>("fuse_ioctl_iovec", 16, r -> new RetryIovec(r.nextLong(), r.nextLong()), RetryIovec::encode,
                        RetryIovec::decode),
                new Codec<>("fuse_poll_in", 24, r -> new PollIn(r.nextLong(), r.nextLong(), r.nextInt(), r.nextInt()),
                        PollIn::encode, PollIn::decode),
                new Codec<>("fuse_poll_out", 8, r -> new PollOut(r.nextInt()), PollOut::encode, PollOut::decode)
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    <T> void randomValuesSurviveEncodeAndDecode(Codec<T> codec) {
        Random random = new Random(codec.name().hashCode());
        for (int i = 0; i < 1000; i++) {
            T value = codec.random().apply(random);
            ByteBuffer b = ByteBuffer.allocate(codec.size() + 8).order(ByteOrder.nativeOrder());
            b.position(3);
            codec.encode().accept(value, b);
            assertEquals(3 + codec.size(), b.position(), "encodes exactly its size");
            b.position(3);
            assertEquals(value, codec.decode().apply(b));
            assertEquals(3 + codec.size(), b.position(), "decodes exactly its size");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    <T> void bufferOrderDoesNotMatter(Codec<T> codec) {
        Random random = new Random(codec.name().hashCode() + 1);
        T value = codec.random().apply(random);
        ByteBuffer nativeOrder = ByteBuffer.allocate(codec.size()).order(ByteOrder.nativeOrder());
        ByteBuffer otherOrder = ByteBuffer.allocate(codec.size()).order(OTHER);
        codec.encode().accept(value, nativeOrder);
        codec.encode().accept(value, otherOrder);
        assertArrayEquals(nativeOrder.array(), otherOrder.array(), "bytes are always in host order");
        assertEquals(value, codec.decode().apply(otherOrder.flip()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    <T> void shortBuffersAreRefusedWithoutMoving(Codec<T> codec) {
        ByteBuffer b = ByteBuffer.allocate(codec.size() - 1);
        assertThrows(BufferUnderflowException.class, () -> codec.decode().apply(b));
        assertEquals(0, b.position());
        T value = codec.random().apply(new Random(7));
        assertThrows(BufferOverflowException.class, () -> codec.encode().accept(value, b));
        assertEquals(0, b.position());
    }

    @Test
    void unsignedFieldsDecodeAsUnsigned() {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.nativeOrder());
        b.putInt(0, -1).putShort(36, (short) -1);
        InHeader h = InHeader.decode(b);
        assertEquals(0xffff_ffffL, h.len());
        assertEquals(0xffff, h.totalExtlen());
        assertEquals(0xffff * 8, h.extensionBytes());
        ByteBuffer io = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
        io.putInt(24, 0x8000_0000).putInt(28, -1);
        IoctlIn in = IoctlIn.decode(io);
        assertEquals(0x8000_0000L, in.inSize());
        assertEquals(0xffff_ffffL, in.outSize());
        assertThrows(IllegalArgumentException.class,
                () -> new WriteOut(1L << 32).encode(ByteBuffer.allocate(8)), "not a u32");
    }

    @Test
    void headerPeeksWorkOnIncompleteFrames() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        b.putInt(0, 56).putInt(4, 4096).putLong(8, 0x8000_0000_0000_0002L);
        assertEquals(4096, InHeader.peekOpcode(b));
        assertEquals(true, InHeader.hasUnique(b));
        assertEquals(0x8000_0000_0000_0002L, InHeader.peekUnique(b));
        assertEquals(0, b.position());
        assertEquals(false, InHeader.hasUnique(b.limit(15)));
        assertEquals(0, InHeader.peekOpcode(b.limit(7)));
    }

    // ---------------------------------------------------------------- replies

    private static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    @Test
    void errorReplyIsExactly16Bytes() {
        ByteBuffer b = buffer(64);
        assertEquals(16, Replies.error(b, 0x42, 22));
        assertEquals(16, b.position());
        assertEquals(new OutHeader(16, -22, 0x42), OutHeader.decode(b.flip()));
        assertEquals(16, Replies.error(buffer(16), 1, FuseProtocol.MAX_ERRNO));
        for (int bad : new int[]{0, -5, 512, 100_000}) {
            assertThrows(IllegalArgumentException.class, () -> Replies.error(buffer(16), 1, bad), "errno " + bad);
        }
    }

    @Test
    void emptyReplyIsTheHeaderAlone() {
        ByteBuffer b = buffer(16);
        assertEquals(16, Replies.empty(b, -2L));
        assertEquals(new OutHeader(16, 0, -2L), OutHeader.decode(b.flip()));
    }

    @Test
    void fixedRepliesHaveTheirOpcodesSize() {
        ByteBuffer b = buffer(64);
        assertEquals(Opcode.OPEN.fixedReplySize(), Replies.open(b, 2, 9));
        assertEquals(new OpenOut(9, 0, 0), OpenOut.decode(b.position(16)));
        assertEquals(Opcode.WRITE.fixedReplySize(), Replies.write(b.clear(), 2, 5));
        assertEquals(new WriteOut(5), WriteOut.decode(b.position(16)));
        assertEquals(Opcode.POLL.fixedReplySize(), Replies.poll(b.clear(), 2, 0x41));
        assertEquals(new PollOut(0x41), PollOut.decode(b.position(16)));
        assertEquals(Opcode.IOCTL.fixedReplySize(), Replies.ioctl(b.clear(), 2, -1, new byte[0]));
        assertEquals(new IoctlOut(-1, 0, 0, 0), IoctlOut.decode(b.position(16)));
    }

    @Test
    void readReplyFramesDataAlreadyInPlace() {
        ByteBuffer b = buffer(64);
        b.put(16, (byte) 'a').put(17, (byte) 'b');
        assertEquals(18, Replies.read(b, 6, 2));
        assertEquals(18, b.position());
        assertEquals(new OutHeader(18, 0, 6), OutHeader.decode(b.flip()));
        assertEquals('a', b.get(16));
        assertThrows(BufferOverflowException.class, () -> Replies.read(buffer(20), 6, 5));
    }

    @Test
    void ioctlRetryListsInThenOutIovecs() {
        ByteBuffer b = buffer(128);
        List<RetryIovec> in = List.of(new RetryIovec(0x1000, 8), new RetryIovec(0x2000, 4));
        List<RetryIovec> out = List.of(new RetryIovec(0x3000, 256));
        int len = Replies.ioctlRetry(b, 0x44, in, out, RetryIovec::base, RetryIovec::length);
        assertEquals(16 + 16 + 3 * 16, len);
        b.flip();
        assertEquals(new OutHeader(len, 0, 0x44), OutHeader.decode(b));
        IoctlOut o = IoctlOut.decode(b);
        assertEquals(new IoctlOut(0, FuseProtocol.IOCTL_RETRY, 2, 1), o);
        assertEquals(true, o.retry());
        assertEquals(in.get(0), RetryIovec.decode(b));
        assertEquals(in.get(1), RetryIovec.decode(b));
        assertEquals(out.get(0), RetryIovec.decode(b));
    }

    @Test
    void cuseInitReplyCarriesTheInfoBlock() {
        ByteBuffer b = buffer(200);
        byte[] info = CuseDevInfo.encode("ashmem");
        CuseInitOut out = new CuseInitOut(7, 41, 1, 131072, 131072, 0, 0);
        assertEquals(103, Replies.cuseInit(b, 2, out, info));
        b.flip();
        assertEquals(new OutHeader(103, 0, 2), OutHeader.decode(b));
        assertEquals(out, CuseInitOut.decode(b));
        byte[] tail = new byte[b.remaining()];
        b.get(tail);
        assertArrayEquals(info, tail);
        assertThrows(IllegalArgumentException.class,
                () -> Replies.cuseInit(buffer(5000), 2, out, new byte[FuseProtocol.CUSE_INIT_INFO_MAX + 1]));
    }

    // ---------------------------------------------------------------- device info block

    @Test
    void devnameBlockIsOneTerminatedString() {
        assertArrayEquals("DEVNAME=ashmem\0".getBytes(), CuseDevInfo.encode("ashmem"));
        assertEquals("android/ashmem", CuseDevInfo.parseDevName(CuseDevInfo.encode("android/ashmem")));
    }

    @Test
    void devnameIsParsedByTheKernelsRules() {
        assertEquals("ashmem", CuseDevInfo.parseDevName("\0\0 DEVNAME = ashmem \0OTHER=x\0NOVALUE\0".getBytes()));
        assertEquals("last", CuseDevInfo.parseDevName("DEVNAME=first\0DEVNAME=last\0".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> CuseDevInfo.parseDevName("DEVNAME=ashmem".getBytes()),
                "not properly terminated");
        assertThrows(IllegalArgumentException.class, () -> CuseDevInfo.parseDevName("=x\0DEVNAME=a\0".getBytes()),
                "empty key");
        assertThrows(IllegalArgumentException.class, () -> CuseDevInfo.parseDevName("OTHER=x\0".getBytes()),
                "DEVNAME unspecified");
        assertThrows(IllegalArgumentException.class, () -> CuseDevInfo.parseDevName("DEVNAME=\0".getBytes()),
                "empty DEVNAME");
        assertThrows(IllegalArgumentException.class, () -> CuseDevInfo.parseDevName(new byte[0]));
    }

    @Test
    void deviceNamesAreRestrictedToWhatSurvivesTheKernel() {
        for (String ok : List.of("ashmem", "android/ashmem", "a.b-c_d+e@f", "ashmem0", "x")) {
            assertEquals(ok, CuseDevInfo.requireValidName(ok));
        }
        for (String bad : new String[]{null, "", " ashmem", "ashmem ", "a b", "a=b", "ash\0mem", "/ashmem",
                "ashmem/", "a//b", ".", "..", "a/../b", "a/./b", ".hidden", "ashmem\n", "äsh"}) {
            assertThrows(IllegalArgumentException.class, () -> CuseDevInfo.requireValidName(bad), "'" + bad + "'");
        }
        assertEquals(4096, CuseDevInfo.encode("a".repeat(4096 - 9)).length);
        assertThrows(IllegalArgumentException.class, () -> CuseDevInfo.encode("a".repeat(4096 - 8)));
    }
}
