package org.ashmemd.cuse.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.ashmemd.cuse.LogCapture;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.IoctlOut;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.OpenIn;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.cuse.wire.RetryIovec;
import org.ashmemd.cuse.wire.WriteOut;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Frames the kernel never sends, devices that misbehave, and many threads at once. */
class CuseSessionRobustnessTest {
    private static final int EIO = -Errno.EIO.number();
    private static final int PAGE = 4096;

    private FakeDevice device;
    private CuseConfig config;
    private CuseSession session;
    private ByteBuffer reply;
    private LogCapture logs;

    @BeforeEach
    void setUp() {
        device = new FakeDevice();
        config = CuseConfig.dynamic("ashmem", PAGE);
        session = new CuseSession(config, device);
        reply = ByteBuffer.allocate(config.replyBufferSize());
        logs = LogCapture.of(CuseSession.class, Level.DEBUG);
    }

    @AfterEach
    void tearDown() {
        logs.close();
    }

    private int handle(byte[] frame) {
        return session.handle(ByteBuffer.wrap(frame), reply);
    }

    private void assertErrorReply(int len, long unique, int error) {
        assertEquals(OutHeader.SIZE, len, "an error reply is the header alone");
        assertEquals(new OutHeader(OutHeader.SIZE, error, unique), Frames.header(reply));
    }

    private List<String> warnings() {
        return logs.messages(Level.WARN);
    }

    // ---------------------------------------------------------------- malformed frames

    static Stream<Arguments> malformedAnswerable() {
        return Stream.of(
                Arguments.of("header cut at 39 bytes", Arrays.copyOf(Frames.open(0x10), 39)),
                Arguments.of("header cut at 16 bytes", Arrays.copyOf(Frames.open(0x10), 16)),
                Arguments.of("len field larger than the frame", Frames.patchInt(Frames.open(0x10), 0, 4096)),
                Arguments.of("len field smaller than the frame", Frames.patchInt(Frames.open(0x10), 0, 40)),
                Arguments.of("OPEN body of 4 bytes", Frames.patchInt(Arrays.copyOf(Frames.open(0x10), 44), 0, 44)),
                Arguments.of("READ without its body", Frames.patchInt(Arrays.copyOf(Frames.read(0x10, 7, 10), 40), 0, 40)),
                Arguments.of("IOCTL in_size beyond the data",
                        Frames.patchInt(Frames.ioctl(0x10, FakeDevice.SET_NAME, 0x1000), 64, 256)),
                Arguments.of("IOCTL with 3 of 256 in bytes",
                        Frames.patchInt(Frames.ioctl(0x10, 2, FakeDevice.SET_NAME, 0x1000, new byte[3], 0), 64, 256)),
                Arguments.of("WRITE size beyond the data", Frames.patchInt(Frames.write(0x10, 7, new byte[5]), 56, 10)),
                Arguments.of("extensions eating the body", withExtensions(Frames.open(0x10), 1)),
                Arguments.of("IOCTL out_size above 2 GiB",
                        Frames.patchInt(Frames.ioctl(0x10, FakeDevice.GET_NAME, 0x1000), 68, 0x80000000)),
                Arguments.of("compat IOCTL arg beyond 32 bits",
                        Frames.ioctl(0x10, FuseProtocol.IOCTL_COMPAT | FuseProtocol.IOCTL_UNRESTRICTED | FuseProtocol.IOCTL_32BIT,
                                FakeDevice.SET_NAME, 0xff_0000_1000L, Frames.NONE, 0)));
    }

    private static byte[] withExtensions(byte[] frame, int units) {
        ByteBuffer.wrap(frame).order(ByteOrder.nativeOrder()).putShort(36, (short) units);
        return frame;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedAnswerable")
    void malformedFrameWithReadableIdGetsEio(String what, byte[] frame) {
        int len = handle(frame);
        assertErrorReply(len, 0x10, EIO);
        assertEquals(1, warnings().size(), () -> "one warning, got " + warnings());
        assertTrue(device.calls.isEmpty(), "the device never sees a malformed frame");
    }

    static Stream<Arguments> malformedUnanswerable() {
        return Stream.of(
                Arguments.of("empty read", new byte[0]),
                Arguments.of("8 bytes: no id", Arrays.copyOf(Frames.open(0x10), 8)),
                Arguments.of("15 bytes: id cut", Arrays.copyOf(Frames.open(0x10), 15)),
                Arguments.of("id 0 would make a notification", Frames.open(0)),
                Arguments.of("truncated INTERRUPT", Frames.patchInt(Arrays.copyOf(Frames.interrupt(0x11, 0x10), 44), 0, 44)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedUnanswerable")
    void malformedFrameWithoutUsableIdGetsNoReply(String what, byte[] frame) {
        assertEquals(0, handle(frame));
        assertEquals(0, reply.limit());
        assertEquals(1, warnings().size(), () -> "one warning, got " + warnings());
        assertTrue(device.calls.isEmpty());
    }

    @Test
    void extensionsAfterTheBodyAreSkipped() {
        byte[] open = Frames.open(0x10);
        byte[] frame = withExtensions(Frames.patchInt(Arrays.copyOf(open, open.length + 8), 0, open.length + 8), 1);
        assertEquals(32, handle(frame));
        assertTrue(warnings().isEmpty());
    }

    @Test
    void frameInsideALargerBufferIsReadFromItsPosition() {
        byte[] open = Frames.open(0x10);
        ByteBuffer b = ByteBuffer.allocate(100);
        b.position(30);
        b.put(open);
        b.flip().position(30);
        assertEquals(32, session.handle(b, reply));
        assertEquals(0x10, Frames.header(reply).unique());
    }

    @Test
    void replyBufferTooSmallForTheInitReplyIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class,
                () -> session.handle(ByteBuffer.wrap(Frames.open(2)), ByteBuffer.allocate(1024)));
    }

    // ---------------------------------------------------------------- device exceptions

    static Stream<Arguments> everyDeviceCall() {
        return Stream.of(
                Arguments.of("OPEN", Frames.open(0x20)),
                Arguments.of("READ", Frames.read(0x20, 7, 100)),
                Arguments.of("WRITE", Frames.write(0x20, 7, new byte[]{1, 2, 3})),
                Arguments.of("IOCTL", Frames.ioctl(0x20, FakeDevice.GET_SIZE, 0)),
                Arguments.of("POLL", Frames.poll(0x20, 7)));
    }

    private void breakDevice(RuntimeException e) {
        device.onOpen = (c, f) -> {
            throw e;
        };
        device.onRead = (c, fh, o, b, f) -> {
            throw e;
        };
        device.onWrite = (c, fh, o, b, f) -> {
            throw e;
        };
        device.onIoctl = (c, r) -> {
            throw e;
        };
        device.onPoll = (c, fh, ev) -> {
            throw e;
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyDeviceCall")
    void deviceRuntimeExceptionBecomesEioWithOneStackTrace(String op, byte[] frame) {
        breakDevice(new IllegalStateException("device bug"));
        assertErrorReply(handle(frame), 0x20, EIO);
        List<ILoggingEvent> errors = logs.at(Level.ERROR);
        assertEquals(1, errors.size());
        assertNotNull(errors.get(0).getThrowableProxy(), "the stack trace is logged");
        assertTrue(errors.get(0).getFormattedMessage().startsWith("rx 32: " + op), errors.get(0).getFormattedMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyDeviceCall")
    void deviceErrnoBecomesTheErrorReply(String op, byte[] frame) {
        ErrnoException busy = new ErrnoException(Errno.EBUSY, "busy");
        device.onOpen = (c, f) -> {
            throw busy;
        };
        device.onRead = (c, fh, o, b, f) -> {
            throw busy;
        };
        device.onWrite = (c, fh, o, b, f) -> {
            throw busy;
        };
        device.onIoctl = (c, r) -> {
            throw busy;
        };
        device.onPoll = (c, fh, ev) -> {
            throw busy;
        };
        assertErrorReply(handle(frame), 0x20, -Errno.EBUSY.number());
        assertTrue(logs.at(Level.ERROR).isEmpty() && warnings().isEmpty(), "client errors are only debug lines");
        assertEquals(List.of("EBUSY (busy)"), logs.messages(Level.DEBUG).stream()
                .map(m -> m.substring(m.indexOf("-> ") + 3)).toList());
    }

    @Test
    void errnoOutsideTheKernelsRangeBecomesEio() {
        device.onOpen = (c, f) -> {
            throw new ErrnoException(600, "too big");
        };
        assertErrorReply(handle(Frames.open(0x22)), 0x22, EIO);
        assertEquals(1, logs.at(Level.ERROR).size());
    }

    @Test
    void enosysToOpenIsNeverSentBecauseItWouldDisableOpenForGood() {
        device.onOpen = (c, f) -> {
            throw new ErrnoException(Errno.ENOSYS, "not implemented");
        };
        assertErrorReply(handle(Frames.open(0x24)), 0x24, EIO);
        assertEquals(1, warnings().size());
    }

    // ---------------------------------------------------------------- device contract violations

    private void assertDeviceBug(byte[] frame, long unique) {
        assertErrorReply(handle(frame), unique, EIO);
        assertEquals(1, logs.at(Level.ERROR).size(), () -> "one error line, got " + logs.messages(Level.ERROR));
        assertTrue(logs.messages(Level.ERROR).get(0).contains("device bug"), logs.messages(Level.ERROR).get(0));
    }

    @Test
    void readReturningMoreThanAskedIsABug() {
        device.onRead = (c, fh, o, dst, f) -> dst.remaining() + 1;
        assertDeviceBug(Frames.read(0x30, 7, 100), 0x30);
    }

    @Test
    void readReturningANegativeCountIsABug() {
        device.onRead = (c, fh, o, dst, f) -> -1;
        assertDeviceBug(Frames.read(0x30, 7, 100), 0x30);
    }

    @Test
    void writeAcceptingMoreThanGivenIsABug() {
        device.onWrite = (c, fh, o, src, f) -> 4;
        assertDeviceBug(Frames.write(0x30, 7, new byte[3]), 0x30);
    }

    @Test
    void shortWriteIsFine() {
        device.onWrite = (c, fh, o, src, f) -> 1;
        assertEquals(24, handle(Frames.write(0x30, 7, new byte[3])));
        assertEquals(1, WriteOut.decode(reply.order(ByteOrder.nativeOrder()).position(16)).size());
    }

    @Test
    void ioctlOutputBeyondOutSizeIsABug() {
        device.onIoctl = (c, r) -> IoctlReply.result(0, new byte[r.outSize() + 1]);
        assertDeviceBug(Frames.ioctl(0x30, 2, FakeDevice.GET_NAME, 0x1000, Frames.NONE, 8), 0x30);
    }

    @Test
    void ioctlOutputInAFirstRoundIsABug() {
        device.onIoctl = (c, r) -> IoctlReply.result(0, new byte[1]);
        assertDeviceBug(Frames.ioctl(0x30, FakeDevice.GET_NAME, 0x1000), 0x30);
    }

    @Test
    void ioctlReturningNullIsABug() {
        device.onIoctl = (c, r) -> null;
        assertDeviceBug(Frames.ioctl(0x30, FakeDevice.GET_NAME, 0x1000), 0x30);
    }

    @Test
    void retryWithoutIovecsWouldLoopForever() {
        device.onIoctl = (c, r) -> new IoctlReply.Retry(List.of(), List.of());
        assertDeviceBug(Frames.ioctl(0x30, FakeDevice.SET_NAME, 0x1000), 0x30);
    }

    private static List<IoctlIovec> iovecs(int count, long length) {
        List<IoctlIovec> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(new IoctlIovec(0x10000L + i * 0x1000L, length));
        }
        return list;
    }

    @Test
    void retryWithTheMaximumOf256IovecsIsEncoded() {
        device.onIoctl = (c, r) -> new IoctlReply.Retry(iovecs(200, 8), iovecs(56, 8));
        int len = handle(Frames.ioctl(0x30, FakeDevice.SET_NAME, 0x1000));
        assertEquals(OutHeader.SIZE + IoctlOut.SIZE + 256 * RetryIovec.SIZE, len);
        ByteBuffer r = reply.order(ByteOrder.nativeOrder());
        assertEquals(new IoctlOut(0, FuseProtocol.IOCTL_RETRY, 200, 56), IoctlOut.decode(r.position(16)));
        assertEquals(new RetryIovec(0x10000L, 8), RetryIovec.decode(r));
        r.position(32 + 200 * 16);
        assertEquals(new RetryIovec(0x10000L, 8), RetryIovec.decode(r), "out iovecs follow the in iovecs");
    }

    @Test
    void retryWith257IovecsIsABug() {
        device.onIoctl = (c, r) -> new IoctlReply.Retry(iovecs(200, 8), iovecs(57, 8));
        assertDeviceBug(Frames.ioctl(0x30, FakeDevice.SET_NAME, 0x1000), 0x30);
    }

    @Test
    void retryMovingExactly32PagesEachWayIsEncoded() {
        device.onIoctl = (c, r) -> new IoctlReply.Retry(iovecs(2, 16 * PAGE), iovecs(1, 32 * PAGE));
        assertEquals(32 + 3 * 16, handle(Frames.ioctl(0x30, FakeDevice.SET_NAME, 0x1000)));
    }

    @Test
    void retryMovingMoreThan32PagesIsABug() {
        device.onIoctl = (c, r) -> new IoctlReply.Retry(iovecs(2, 16 * PAGE + 1), List.of());
        assertDeviceBug(Frames.ioctl(0x30, FakeDevice.SET_NAME, 0x1000), 0x30);
    }

    @Test
    void retryWithAHugeUnsignedLengthIsABug() {
        device.onIoctl = (c, r) -> new IoctlReply.Retry(List.of(), iovecs(1, -8L));
        assertDeviceBug(Frames.ioctl(0x30, FakeDevice.GET_NAME, 0x1000), 0x30);
    }

    @Test
    void retryBeyond32BitsForA32BitCallerIsABug() {
        device.onIoctl = (c, r) -> IoctlReply.retryIn(0x1_0000_0000L, 8);
        int compat = FuseProtocol.IOCTL_COMPAT | FuseProtocol.IOCTL_UNRESTRICTED | FuseProtocol.IOCTL_32BIT;
        assertDeviceBug(Frames.ioctl(0x30, compat, FakeDevice.SET_NAME, 0x1000, Frames.NONE, 0), 0x30);
    }

    @Test
    void retryForA32BitCallerWithin32BitsIsEncoded() {
        device.onIoctl = (c, r) -> IoctlReply.retryIn(0xffff_f000L, 256);
        int compat = FuseProtocol.IOCTL_COMPAT | FuseProtocol.IOCTL_UNRESTRICTED | FuseProtocol.IOCTL_32BIT;
        assertEquals(48, handle(Frames.ioctl(0x30, compat, FakeDevice.SET_NAME, 0xffff_f000L, Frames.NONE, 0)));
    }

    // ---------------------------------------------------------------- buffers

    @Test
    void readLargerThanTheReplyBufferIsCutShort() {
        AtomicInteger offered = new AtomicInteger();
        device.onRead = (c, fh, o, dst, f) -> {
            offered.set(dst.remaining());
            return dst.remaining();
        };
        int len = handle(Frames.read(0x40, 7, 0xffff_ffffL));
        assertEquals(reply.capacity() - OutHeader.SIZE, offered.get());
        assertEquals(reply.capacity(), len);
    }

    @Test
    void deviceBuffersAreNativeOrderViews() {
        device.onRead = (c, fh, o, dst, f) -> {
            assertEquals(ByteOrder.nativeOrder(), dst.order());
            assertEquals(0, dst.position());
            dst.putInt(0x01020304);
            return 4;
        };
        device.onWrite = (c, fh, o, src, f) -> {
            assertEquals(ByteOrder.nativeOrder(), src.order());
            assertTrue(src.isReadOnly());
            assertEquals(0x0a0b0c0d, src.getInt(0));
            return 4;
        };
        assertEquals(20, handle(Frames.read(0x40, 7, 4)));
        assertEquals(0x01020304, reply.order(ByteOrder.nativeOrder()).getInt(16));
        byte[] data = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0x0a0b0c0d).array();
        assertEquals(24, handle(Frames.write(0x42, 7, data)));
        assertEquals(2, device.calls.size(), "both calls reached the device");
    }

    // ---------------------------------------------------------------- observer

    record Observed(int opcode, int cmd, int errno) { }

    @Test
    void observerSeesEveryRequestWithItsOutcome() {
        List<Observed> seen = Collections.synchronizedList(new ArrayList<>());
        List<Long> times = Collections.synchronizedList(new ArrayList<>());
        session = new CuseSession(config, device, (op, cmd, errno, nanos) -> {
            seen.add(new Observed(op, cmd, errno));
            times.add(nanos);
        });
        handle(Frames.init(2, 7, 41));
        handle(Frames.open(4));
        handle(Frames.ioctl(6, FakeDevice.GET_SIZE, 0));
        handle(Frames.ioctl(8, 0x7777, 0));
        handle(Frames.poll(10, 7));
        handle(Frames.interrupt(11, 10));
        handle(Frames.release(12, 7));
        handle(Arrays.copyOf(Frames.open(14), 20));
        handle(Frames.patchInt(Frames.open(16), 4, 25));
        assertEquals(List.of(
                new Observed(4096, 0, 0),
                new Observed(14, 0, 0),
                new Observed(39, FakeDevice.GET_SIZE, 0),
                new Observed(39, 0x7777, Errno.ENOTTY.number()),
                new Observed(40, 0, Errno.ENOSYS.number()),
                new Observed(36, 0, 0),
                new Observed(18, 0, 0),
                new Observed(14, 0, Errno.EIO.number()),
                new Observed(25, 0, Errno.ENOSYS.number())), seen);
        assertTrue(times.stream().allMatch(t -> t >= 0));
    }

    @Test
    void failingObserverDoesNotCostTheReply() {
        session = new CuseSession(config, device, (op, cmd, errno, nanos) -> {
            throw new IllegalStateException("metrics broke");
        });
        assertEquals(32, handle(Frames.open(4)));
        assertEquals(1, logs.at(Level.ERROR).size());
    }

    // ---------------------------------------------------------------- random frames

    /**
     * Valid frames of every opcode, then mutated (bytes flipped, cut, lengthened, opcode
     * swapped), against a device that answers at random: handle never throws, and a reply is a
     * well-formed frame whose len is what was returned and whose id is the request's.
     */
    @Test
    void randomFramesNeverBreakTheSession() {
        Random random = new Random(0x5eed_c05eL);
        breakDeviceRandomly(random);
        session.handle(ByteBuffer.wrap(Frames.init(2, 7, 41)), reply);
        for (int i = 0; i < 20_000; i++) {
            byte[] frame = mutate(random, validFrame(random, 0x100L + 2L * i), i);
            int len;
            try {
                len = session.handle(ByteBuffer.wrap(frame), reply);
            } catch (RuntimeException e) {
                throw new AssertionError("frame " + i + " threw: " + org.ashmemd.cuse.Hex.format(frame), e);
            }
            if (len == 0) {
                continue;
            }
            OutHeader h = Frames.header(reply);
            assertEquals(len, h.len(), "frame " + i);
            assertEquals(len, reply.limit());
            assertTrue(h.error() <= 0 && h.error() >= -FuseProtocol.MAX_ERRNO, "frame " + i);
            if (h.error() != 0) {
                assertEquals(OutHeader.SIZE, len, "frame " + i);
            }
            long unique = ByteBuffer.wrap(frame).order(ByteOrder.nativeOrder()).getLong(8);
            assertEquals(unique, h.unique(), "frame " + i);
            assertTrue(unique != 0);
        }
    }

    private void breakDeviceRandomly(Random random) {
        // the session is fed from one thread here, so sharing the generator is safe
        Consumer<Void> maybeThrow = v -> {
            int pick = random.nextInt(5);
            if (pick == 0) {
                throw new IllegalStateException("random failure");
            }
        };
        device.onOpen = (c, f) -> {
            maybeThrow.accept(null);
            if (random.nextInt(4) == 0) {
                throw new ErrnoException(1 + random.nextInt(700), "random errno");
            }
            return random.nextLong();
        };
        device.onRead = (c, fh, o, dst, f) -> {
            maybeThrow.accept(null);
            return random.nextInt(dst.remaining() + 2) - 1;
        };
        device.onWrite = (c, fh, o, src, f) -> {
            maybeThrow.accept(null);
            return random.nextInt(src.remaining() + 2) - 1;
        };
        device.onIoctl = (c, r) -> {
            maybeThrow.accept(null);
            switch (random.nextInt(4)) {
                case 0:
                    return IoctlReply.result(random.nextInt(), new byte[random.nextInt(r.outSize() + 2)]);
                case 1:
                    return new IoctlReply.Retry(iovecs(random.nextInt(3), random.nextInt(PAGE * 40)),
                            iovecs(random.nextInt(3), random.nextInt(PAGE * 40)));
                case 2:
                    throw new ErrnoException(1 + random.nextInt(200), "random errno");
                default:
                    return IoctlReply.result(0);
            }
        };
        device.onPoll = (c, fh, ev) -> {
            maybeThrow.accept(null);
            return random.nextInt();
        };
        device.onRelease = (fh, f) -> maybeThrow.accept(null);
    }

    private static byte[] validFrame(Random random, long unique) {
        switch (random.nextInt(8)) {
            case 0:
                return Frames.open(unique);
            case 1:
                return Frames.read(unique, random.nextLong(), random.nextInt(1 << 18));
            case 2:
                return Frames.write(unique, random.nextLong(), new byte[random.nextInt(64)]);
            case 3:
                return Frames.release(unique, random.nextLong());
            case 4:
                return Frames.interrupt(unique | 1, unique);
            case 5:
                return Frames.poll(unique, random.nextLong());
            case 6:
                return Frames.init(unique, 7, random.nextInt(64));
            default:
                byte[] in = new byte[random.nextInt(3) == 0 ? 0 : random.nextInt(300)];
                random.nextBytes(in);
                return Frames.ioctl(unique, random.nextInt(64), random.nextInt(), random.nextLong(), in,
                        random.nextInt(2) == 0 ? 0 : random.nextInt(1 << 17));
        }
    }

    private static byte[] mutate(Random random, byte[] frame, int i) {
        switch (i % 5) {
            case 0:
                return frame; // valid
            case 1: { // flip bytes outside the id
                byte[] f = frame.clone();
                for (int k = random.nextInt(4); k >= 0; k--) {
                    int at = random.nextInt(f.length);
                    if (at < 8 || at >= 16) {
                        f[at] ^= (byte) (1 + random.nextInt(255));
                    }
                }
                return f;
            }
            case 2: { // cut, keeping the len field honest half of the time
                byte[] f = Arrays.copyOf(frame, random.nextInt(frame.length + 1));
                if (f.length >= 4 && random.nextBoolean()) {
                    Frames.patchInt(f, 0, f.length);
                }
                return f;
            }
            case 3: { // another opcode with the same bytes
                int[] ops = {4096, 14, 15, 16, 18, 36, 39, 40, 25, 0, -1};
                return Frames.patchInt(frame.clone(), 4, ops[random.nextInt(ops.length)]);
            }
            default: { // garbage appended, len adjusted
                byte[] f = Arrays.copyOf(frame, frame.length + random.nextInt(64));
                return Frames.patchInt(f, 0, f.length);
            }
        }
    }

    // ---------------------------------------------------------------- concurrency

    /**
     * Eight reader threads, each with its own buffers, interleaving every kind of request on
     * one session: each reply answers its own request.
     */
    @Test
    void concurrentReadersGetTheirOwnReplies() throws Exception {
        logs.close();
        logs = LogCapture.of(CuseSession.class, Level.WARN);
        AtomicInteger observed = new AtomicInteger();
        session = new CuseSession(config, device, (op, cmd, errno, nanos) -> observed.incrementAndGet());
        device.onOpen = (c, f) -> c.tid();
        device.onRead = (c, fh, o, dst, f) -> {
            for (int k = 0; k < 64; k++) {
                dst.put((byte) fh);
            }
            return 64;
        };
        device.onIoctl = (c, r) -> IoctlReply.result((int) r.arg());
        int threads = 8;
        int rounds = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> readerRounds(thread, rounds)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        }
        assertEquals(threads * rounds * 4, observed.get());
        assertTrue(logs.events().isEmpty(), () -> "no warnings: " + logs.messages(Level.WARN));
    }

    private void readerRounds(int thread, int rounds) {
        ByteBuffer request = ByteBuffer.allocateDirect(config.requestBufferSize());
        ByteBuffer out = ByteBuffer.allocateDirect(config.replyBufferSize()).order(ByteOrder.nativeOrder());
        long base = (thread + 1L) << 40;
        for (int i = 0; i < rounds; i++) {
            long unique = base + 8L * i;
            byte[] open = Frames.frame(Opcode.OPEN.number(), unique, new Caller(0, 0, thread), OpenIn.SIZE,
                    new OpenIn(0x8002, 0)::encode, Frames.NONE);
            expect(request, out, open, unique, 32);
            assertEquals(thread, out.getLong(16), "fh of this thread's open");
            expect(request, out, Frames.read(unique + 2, thread, 64), unique + 2, 80);
            for (int k = 16; k < 80; k++) {
                if (out.get(k) != (byte) thread) {
                    fail("thread " + thread + " got another thread's data");
                }
            }
            expect(request, out, Frames.ioctl(unique + 4, 0x7704, thread * 1000L + i), unique + 4, 32);
            assertEquals(thread * 1000 + i, out.getInt(16));
            expect(request, out, Frames.release(unique + 6, thread), unique + 6, 16);
        }
    }

    private void expect(ByteBuffer request, ByteBuffer out, byte[] frame, long unique, int length) {
        request.clear();
        request.put(frame).flip();
        int len = session.handle(request, out);
        assertEquals(length, len);
        assertEquals(unique, out.getLong(8));
        assertEquals(0, out.getInt(4));
    }

    @Test
    void manyThreadsShareOneSessionWithoutLosingRequests() {
        // the same scenario through parallel streams, with a fresh buffer pair per task
        logs.close();
        logs = LogCapture.of(CuseSession.class, Level.WARN);
        long failures = IntStream.range(0, 5_000).parallel().filter(i -> {
            ByteBuffer out = ByteBuffer.allocate(config.replyBufferSize());
            int len = session.handle(ByteBuffer.wrap(Frames.ioctl(2L * i + 2, FakeDevice.GET_SIZE, 0)), out);
            return len != 32 || Frames.header(out).unique() != 2L * i + 2;
        }).count();
        assertEquals(0, failures);
    }
}
