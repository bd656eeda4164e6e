package org.ashmemd.cuse.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.ashmemd.cuse.Hex;
import org.ashmemd.cuse.LogCapture;
import org.ashmemd.cuse.wire.CuseDevInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every opcode as the kernel sends it, byte for byte, with the exact reply. Frames are
 * little-endian (x86-64, arm64). Caller: uid/gid 10050, thread 4242; the device hands out fh 7.
 */
class CuseSessionGoldenTest {

    private FakeDevice device;
    private CuseSession session;
    private ByteBuffer reply;
    private LogCapture logs;

    @BeforeAll
    static void littleEndianHost() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "golden frames are little-endian");
    }

    @BeforeEach
    void setUp() {
        device = new FakeDevice();
        CuseConfig config = CuseConfig.dynamic("ashmem", 4096);
        session = new CuseSession(config, device);
        reply = ByteBuffer.allocate(config.replyBufferSize());
        logs = LogCapture.of(CuseSession.class, Level.DEBUG);
    }

    @AfterEach
    void tearDown() {
        logs.close();
    }

    /** Feeds one frame and checks the complete reply. */
    private void exchange(byte[] request, String expectedReply) {
        int len = session.handle(ByteBuffer.wrap(request), reply);
        byte[] expected = Hex.parse(expectedReply);
        assertEquals(Hex.format(expected), Hex.format(Hex.bytes(reply, len)));
        assertEquals(0, reply.position());
        assertEquals(len, reply.limit());
    }

    private void exchange(String request, String expectedReply) {
        exchange(Hex.parse(request), expectedReply);
    }

    // ---------------------------------------------------------------- CUSE_INIT

    private static final String CUSE_INIT_41 = """
            38 00 00 00                 # len = 56 = 40 + 16
            00 10 00 00                 # opcode = 4096 CUSE_INIT
            02 00 00 00 00 00 00 00     # unique = 2 (first id of the connection)
            00 00 00 00 00 00 00 00     # nodeid = 0
            00 00 00 00                 # uid = 0 (the opener of /dev/cuse)
            00 00 00 00                 # gid = 0
            e8 03 00 00                 # pid = 1000
            00 00                       # total_extlen = 0
            00 00                       # padding
            # cuse_init_in
            07 00 00 00                 # major = 7
            29 00 00 00                 # minor = 41 (Linux 6.12)
            00 00 00 00                 # unused
            01 00 00 00                 # flags = CUSE_UNRESTRICTED_IOCTL
            """;

    private static final String CUSE_INIT_REPLY_41 = """
            67 00 00 00                 # len = 103 = 16 + 72 + 15
            00 00 00 00                 # error = 0
            02 00 00 00 00 00 00 00     # unique = 2
            # cuse_init_out
            07 00 00 00                 # major = 7
            29 00 00 00                 # minor = 41
            00 00 00 00                 # unused
            01 00 00 00                 # flags = CUSE_UNRESTRICTED_IOCTL
            00 00 02 00                 # max_read = 131072 = 32 pages of 4 KiB
            00 00 02 00                 # max_write = 131072
            00 00 00 00                 # dev_major = 0: dynamic
            00 00 00 00                 # dev_minor = 0
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00     # spare[0..3]
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00     # spare[4..7]
            00 00 00 00 00 00 00 00                             # spare[8..9]
            # device info block
            44 45 56 4e 41 4d 45 3d 61 73 68 6d 65 6d 00        # "DEVNAME=ashmem\\0"
            """;

    @Test
    void cuseInitAnswersVersionLimitsAndDevname() {
        assertFalse(session.initialized());
        assertEquals(0, session.negotiatedMinor());

        exchange(CUSE_INIT_41, CUSE_INIT_REPLY_41);

        assertTrue(session.initialized());
        assertEquals(41, session.negotiatedMinor());
        NegotiatedProtocol p = session.negotiated().orElseThrow();
        assertEquals(new NegotiatedProtocol(41, 1, 41, 1, 131072, 131072), p);
        assertTrue(p.kernelSupportsResend());
        assertTrue(p.unrestrictedIoctl());
        // the info block passes the kernel's parser
        byte[] block = Arrays.copyOfRange(Hex.bytes(reply, 103), 88, 103);
        assertEquals("ashmem", CuseDevInfo.parseDevName(block));
        assertEquals(List.of("rx 2: CUSE_INIT 7.41 flags=0x1 -> 7.41 max_read=131072 max_write=131072 dev=0:0"),
                logs.messages(Level.DEBUG));
    }

    @Test
    void cuseInitTakesTheSmallerMinor() {
        // Linux 6.1 announces 7.38: the answer follows it
        exchange("""
                38 00 00 00  00 10 00 00  04 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
                00 00 00 00  00 00 00 00  e8 03 00 00  00 00 00 00
                07 00 00 00                 # major = 7
                26 00 00 00                 # minor = 38
                00 00 00 00  01 00 00 00
                """, """
                67 00 00 00  00 00 00 00  04 00 00 00 00 00 00 00
                07 00 00 00                 # major = 7
                26 00 00 00                 # minor = 38
                00 00 00 00  01 00 00 00  00 00 02 00  00 00 02 00  00 00 00 00  00 00 00 00
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00
                44 45 56 4e 41 4d 45 3d 61 73 68 6d 65 6d 00
                """);
        assertEquals(38, session.negotiatedMinor());
        assertFalse(session.negotiated().orElseThrow().kernelSupportsResend());
    }

    @Test
    void cuseInitCapsANewerKernelAt41AndRaisesAnOldOneTo16() {
        assertEquals(41, initWithKernelMinor(45));
        assertEquals(16, initWithKernelMinor(12));
        assertEquals(1, logs.messages(Level.WARN).size(), "one warning about the old kernel");
    }

    private int initWithKernelMinor(int minor) {
        byte[] frame = Hex.parse(CUSE_INIT_41);
        frame[44] = (byte) minor;
        int len = session.handle(ByteBuffer.wrap(frame), reply);
        assertEquals(103, len);
        return reply.order(ByteOrder.LITTLE_ENDIAN).getInt(20);
    }

    @Test
    void cuseInitCarriesTheUnitsFixedNumber121Colon0() {
        // what `ashmemd --major 121 --minor 0` (the systemd unit) announces
        session = new CuseSession(new CuseConfig("ashmem", 121, 0, 4096), device);
        exchange(CUSE_INIT_41, """
                67 00 00 00                 # len = 103 = 16 + 72 + 15
                00 00 00 00                 # error = 0
                02 00 00 00 00 00 00 00     # unique = 2
                07 00 00 00                 # major = 7
                29 00 00 00                 # minor = 41
                00 00 00 00                 # unused
                01 00 00 00                 # flags = CUSE_UNRESTRICTED_IOCTL
                00 00 02 00                 # max_read = 131072
                00 00 02 00                 # max_write = 131072
                79 00 00 00                 # dev_major = 121: register_chrdev_region for exactly 121:0
                00 00 00 00                 # dev_minor = 0
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00
                44 45 56 4e 41 4d 45 3d 61 73 68 6d 65 6d 00        # "DEVNAME=ashmem\\0"
                """);
        assertTrue(logs.messages(Level.DEBUG).get(0).endsWith(" dev=121:0"), logs.messages(Level.DEBUG).toString());
    }

    @Test
    void cuseInitWithTheLargestStaticNumber() {
        session = new CuseSession(new CuseConfig("ashmem", 511, (1 << 20) - 1, 4096), device);
        exchange(CUSE_INIT_41, """
                67 00 00 00  00 00 00 00  02 00 00 00 00 00 00 00
                07 00 00 00  29 00 00 00  00 00 00 00  01 00 00 00  00 00 02 00  00 00 02 00
                ff 01 00 00                 # dev_major = 511: the last one below CHRDEV_MAJOR_MAX
                ff ff 0f 00                 # dev_minor = 1048575: 20 bits
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00
                44 45 56 4e 41 4d 45 3d 61 73 68 6d 65 6d 00
                """);
    }

    @Test
    void cuseInitWithStaticNumbersAndNestedName() {
        CuseConfig config = new CuseConfig("android/ashmem", 240, 3, 4096);
        session = new CuseSession(config, device);
        exchange(CUSE_INIT_41, """
                6f 00 00 00                 # len = 111 = 16 + 72 + 23
                00 00 00 00  02 00 00 00 00 00 00 00
                07 00 00 00  29 00 00 00  00 00 00 00  01 00 00 00  00 00 02 00  00 00 02 00
                f0 00 00 00                 # dev_major = 240
                03 00 00 00                 # dev_minor = 3
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00
                44 45 56 4e 41 4d 45 3d                             # "DEVNAME="
                61 6e 64 72 6f 69 64 2f 61 73 68 6d 65 6d 00        # "android/ashmem\\0"
                """);
    }

    @Test
    void cuseInitFromAnUnknownMajorIsRefused() {
        byte[] frame = Hex.parse(CUSE_INIT_41);
        frame[40] = 8;
        exchange(frame, """
                10 00 00 00                 # len = 16
                b9 ff ff ff                 # error = -71 EPROTO
                02 00 00 00 00 00 00 00
                """);
        assertFalse(session.initialized());
    }

    // ---------------------------------------------------------------- OPEN

    private static final String OPEN_REQUEST = """
            30 00 00 00                 # len = 48 = 40 + 8
            0e 00 00 00                 # opcode = 14 OPEN
            04 00 00 00 00 00 00 00     # unique = 4
            00 00 00 00 00 00 00 00     # nodeid = 0
            42 27 00 00                 # uid = 10050
            42 27 00 00                 # gid = 10050
            92 10 00 00                 # pid = 4242 (thread id)
            00 00 00 00                 # total_extlen, padding
            # fuse_open_in
            02 80 00 00                 # flags = O_RDWR | O_LARGEFILE
            00 00 00 00                 # open_flags = 0
            """;

    @Test
    void openReturnsTheDevicesHandle() {
        exchange(OPEN_REQUEST, """
                20 00 00 00                 # len = 32 = 16 + 16
                00 00 00 00                 # error = 0
                04 00 00 00 00 00 00 00     # unique = 4
                07 00 00 00 00 00 00 00     # fh = 7
                00 00 00 00                 # open_flags = 0
                00 00 00 00                 # padding / backing_id = 0
                """);
        assertEquals(List.of(new FakeDevice.OpenCall(new Caller(10050, 10050, 4242), 0x8002)),
                device.callsOf(FakeDevice.OpenCall.class));
        assertEquals(List.of("rx 4: OPEN flags=0100002 uid=10050 gid=10050 tid=4242 -> fh=7"),
                logs.messages(Level.DEBUG));
    }

    @Test
    void resendIdWithBit63IsEchoedBitExactly() {
        byte[] frame = Hex.parse(OPEN_REQUEST);
        frame[15] = (byte) 0x80; // unique = 0x8000000000000004: re-queued by FUSE_NOTIFY_RESEND
        device.onOpen = (caller, flags) -> 0xfffffffffffffff0L;
        exchange(frame, """
                20 00 00 00  00 00 00 00
                04 00 00 00 00 00 00 80     # unique = 0x8000000000000004
                f0 ff ff ff ff ff ff ff     # fh = 0xfffffffffffffff0: any 64-bit value
                00 00 00 00  00 00 00 00
                """);
        assertEquals(List.of("rx 9223372036854775812: OPEN flags=0100002 uid=10050 gid=10050 tid=4242"
                + " -> fh=18446744073709551600"), logs.messages(Level.DEBUG));
    }

    @Test
    void openErrorIsAHeaderOnlyReply() {
        device.onOpen = (caller, flags) -> {
            throw new org.ashmemd.posix.ErrnoException(org.ashmemd.posix.Errno.EACCES, "not allowed");
        };
        exchange(OPEN_REQUEST, """
                10 00 00 00                 # len = 16
                f3 ff ff ff                 # error = -13 EACCES
                04 00 00 00 00 00 00 00
                """);
        assertEquals(List.of("rx 4: OPEN flags=0100002 uid=10050 gid=10050 tid=4242 -> EACCES (not allowed)"),
                logs.messages(Level.DEBUG));
    }

    // ---------------------------------------------------------------- READ

    @Test
    void readPutsTheDevicesBytesAfterTheHeader() {
        device.onRead = (caller, fh, offset, dst, flags) -> {
            dst.put("hello".getBytes(StandardCharsets.US_ASCII));
            return 5;
        };
        exchange("""
                50 00 00 00                 # len = 80 = 40 + 40
                0f 00 00 00                 # opcode = 15 READ
                06 00 00 00 00 00 00 00     # unique = 6
                00 00 00 00 00 00 00 00     # nodeid
                42 27 00 00  42 27 00 00  92 10 00 00  00 00 00 00
                # fuse_read_in
                07 00 00 00 00 00 00 00     # fh = 7
                00 00 00 00 00 00 00 00     # offset = 0 (first chunk of this read(2))
                00 10 00 00                 # size = 4096
                02 00 00 00                 # read_flags = FUSE_READ_LOCKOWNER
                88 77 66 55 44 33 22 11     # lock_owner
                02 80 00 00                 # flags = O_RDWR | O_LARGEFILE
                00 00 00 00                 # padding
                """, """
                15 00 00 00                 # len = 21 = 16 + 5
                00 00 00 00                 # error = 0
                06 00 00 00 00 00 00 00     # unique = 6
                68 65 6c 6c 6f              # "hello"
                """);
        FakeDevice.DataCall call = device.callsOf(FakeDevice.DataCall.class).get(0);
        assertEquals(4096, call.bufferRemaining(), "the device may fill exactly size bytes");
        assertEquals(new Caller(10050, 10050, 4242), call.caller());
        assertEquals(7, call.fh());
        assertEquals(0x8002, call.flags());
        assertEquals(List.of("rx 6: READ fh=7 off=0 size=4096 flags=0100002 tid=4242 -> 5"), logs.messages(Level.DEBUG));
    }

    // ---------------------------------------------------------------- WRITE

    @Test
    void writeReportsTheAcceptedCount() {
        exchange("""
                55 00 00 00                 # len = 85 = 40 + 40 + 5
                10 00 00 00                 # opcode = 16 WRITE
                08 00 00 00 00 00 00 00     # unique = 8
                00 00 00 00 00 00 00 00
                42 27 00 00  42 27 00 00  92 10 00 00  00 00 00 00
                # fuse_write_in
                07 00 00 00 00 00 00 00     # fh = 7
                00 10 00 00 00 00 00 00     # offset = 4096 (second chunk of one write(2))
                05 00 00 00                 # size = 5
                02 00 00 00                 # write_flags = FUSE_WRITE_LOCKOWNER
                88 77 66 55 44 33 22 11     # lock_owner
                02 80 00 00                 # flags
                00 00 00 00                 # padding
                77 6f 72 6c 64              # "world"
                """, """
                18 00 00 00                 # len = 24 = 16 + 8
                00 00 00 00                 # error = 0
                08 00 00 00 00 00 00 00     # unique = 8
                05 00 00 00                 # size = 5 accepted
                00 00 00 00                 # padding
                """);
        FakeDevice.DataCall call = device.callsOf(FakeDevice.DataCall.class).get(0);
        assertArrayEquals("world".getBytes(StandardCharsets.US_ASCII), call.data());
        assertEquals(4096, call.offset());
    }

    // ---------------------------------------------------------------- RELEASE

    private static final String RELEASE_REQUEST = """
            40 00 00 00                 # len = 64 = 40 + 24
            12 00 00 00                 # opcode = 18 RELEASE
            0a 00 00 00 00 00 00 00     # unique = 10
            00 00 00 00 00 00 00 00     # nodeid
            00 00 00 00                 # uid = 0: RELEASE carries no credentials
            00 00 00 00                 # gid = 0
            00 00 00 00                 # pid = 0
            00 00 00 00
            # fuse_release_in
            07 00 00 00 00 00 00 00     # fh = 7
            02 80 00 00                 # flags
            00 00 00 00                 # release_flags = 0
            00 00 00 00 00 00 00 00     # lock_owner = 0
            """;

    private static final String RELEASE_REPLY = """
            10 00 00 00                 # len = 16: the header alone
            00 00 00 00                 # error = 0
            0a 00 00 00 00 00 00 00     # unique = 10
            """;

    @Test
    void releaseIsAnsweredWithTheHeaderAlone() {
        exchange(RELEASE_REQUEST, RELEASE_REPLY);
        assertEquals(List.of(new FakeDevice.ReleaseCall(7, 0x8002)), device.callsOf(FakeDevice.ReleaseCall.class));
        assertEquals(List.of("rx 10: RELEASE fh=7 flags=0100002 -> OK"), logs.messages(Level.DEBUG));
    }

    @Test
    void releaseIsAnsweredEvenWhenTheDeviceFails() {
        device.onRelease = (fh, flags) -> {
            throw new IllegalStateException("bookkeeping broke");
        };
        exchange(RELEASE_REQUEST, RELEASE_REPLY);
        assertEquals(1, logs.at(Level.ERROR).size());
        assertTrue(logs.at(Level.ERROR).get(0).getThrowableProxy() != null, "with the stack trace");
    }

    // ---------------------------------------------------------------- IOCTL

    private static String ioctl(String unique, String flags, String cmd, String arg, String inSize, String outSize) {
        return """
                48 00 00 00                 # len = 72 = 40 + 32
                27 00 00 00                 # opcode = 39 IOCTL
                %s                          # unique
                00 00 00 00 00 00 00 00     # nodeid
                42 27 00 00  42 27 00 00  92 10 00 00  00 00 00 00
                # fuse_ioctl_in
                07 00 00 00 00 00 00 00     # fh = 7
                %s                          # flags
                %s                          # cmd
                %s                          # arg
                %s                          # in_size
                %s                          # out_size
                """.formatted(unique, flags, cmd, arg, inSize, outSize);
    }

    @Test
    void ioctlWithAValueInArgIsAnsweredAtOnce() {
        exchange(ioctl("40 00 00 00 00 00 00 00",   // unique = 0x40
                "02 00 00 00",                        // flags = FUSE_IOCTL_UNRESTRICTED
                "03 77 08 40",                        // cmd = 0x40087703 ASHMEM_SET_SIZE (64-bit)
                "00 30 00 00 00 00 00 00",            // arg = 0x3000: the size itself
                "00 00 00 00", "00 00 00 00"), """
                20 00 00 00                 # len = 32 = 16 + 16
                00 00 00 00                 # error = 0
                40 00 00 00 00 00 00 00     # unique = 0x40
                00 00 00 00                 # result = 0
                00 00 00 00                 # flags = 0
                00 00 00 00                 # in_iovs = 0
                00 00 00 00                 # out_iovs = 0
                """);
        assertEquals(0x3000, device.size);

        exchange(ioctl("4a 00 00 00 00 00 00 00", "02 00 00 00",
                "04 77 00 00",                        // cmd = 0x00007704 ASHMEM_GET_SIZE
                "00 00 00 00 00 00 00 00", "00 00 00 00", "00 00 00 00"), """
                20 00 00 00  00 00 00 00  4a 00 00 00 00 00 00 00
                00 30 00 00                 # result = 0x3000
                00 00 00 00  00 00 00 00  00 00 00 00
                """);
        assertEquals(List.of(
                "rx 64: IOCTL fh=7 cmd=0x40087703 arg=0x3000 in=0 out=0 tid=4242 -> 0",
                "rx 74: IOCTL fh=7 cmd=0x00007704 arg=0x0 in=0 out=0 tid=4242 -> 12288"), logs.messages(Level.DEBUG));
    }

    @Test
    void ioctlFrom32BitCallerCarriesCompatFlags() {
        exchange(ioctl("4c 00 00 00 00 00 00 00",
                "0b 00 00 00",                        // flags = COMPAT | UNRESTRICTED | 32BIT
                "03 77 04 40",                        // cmd = 0x40047703: SET_SIZE with a 4-byte size_t
                "00 20 00 00 00 00 00 00",            // arg = 0x2000, zero-extended
                "00 00 00 00", "00 00 00 00"), """
                20 00 00 00  00 00 00 00  4c 00 00 00 00 00 00 00
                00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
                """);
        FakeDevice.IoctlCall call = device.callsOf(FakeDevice.IoctlCall.class).get(0);
        assertEquals(0x0b, call.flags());
        assertEquals(0x40047703, call.cmd());
        assertEquals(0x2000, device.size);
        assertEquals(List.of("rx 76: IOCTL fh=7 cmd=0x40047703 arg=0x2000 in=0 out=0 flags=0xb tid=4242 -> 0"),
                logs.messages(Level.DEBUG));
    }

    @Test
    void ioctlRetryFetchesTheCallersBytesInASecondRound() {
        // round 1: SET_NAME(buf) arrives without data; the device asks for 256 bytes at buf
        exchange(ioctl("42 00 00 00 00 00 00 00",
                "02 00 00 00",
                "01 77 00 41",                        // cmd = 0x41007701 ASHMEM_SET_NAME
                "00 50 34 12 fd 7f 00 00",            // arg = 0x7ffd12345000 (caller's buffer)
                "00 00 00 00", "00 00 00 00"), """
                30 00 00 00                 # len = 48 = 16 + 16 + 16
                00 00 00 00                 # error = 0
                42 00 00 00 00 00 00 00     # unique = 0x42
                00 00 00 00                 # result = 0
                04 00 00 00                 # flags = FUSE_IOCTL_RETRY
                01 00 00 00                 # in_iovs = 1
                00 00 00 00                 # out_iovs = 0
                00 50 34 12 fd 7f 00 00     # iovec[0].base = 0x7ffd12345000
                00 01 00 00 00 00 00 00     # iovec[0].len = 256
                """);

        // round 2: a new id, the same cmd and arg, the 256 gathered bytes after fuse_ioctl_in
        ByteArrayOutputStream round2 = new ByteArrayOutputStream();
        round2.writeBytes(Hex.parse("""
                48 01 00 00                 # len = 328 = 40 + 32 + 256
                27 00 00 00                 # opcode = 39 IOCTL
                44 00 00 00 00 00 00 00     # unique = 0x44
                00 00 00 00 00 00 00 00
                42 27 00 00  42 27 00 00  92 10 00 00  00 00 00 00
                07 00 00 00 00 00 00 00     # fh = 7
                02 00 00 00                 # flags
                01 77 00 41                 # cmd = ASHMEM_SET_NAME
                00 50 34 12 fd 7f 00 00     # arg
                00 01 00 00                 # in_size = 256
                00 00 00 00                 # out_size = 0
                """));
        byte[] name = new byte[256];
        byte[] text = "myregion".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, name, 0, text.length);
        Arrays.fill(name, 100, 256, (byte) 'x'); // garbage after the NUL is the caller's business
        round2.writeBytes(name);
        exchange(round2.toByteArray(), """
                20 00 00 00  00 00 00 00
                44 00 00 00 00 00 00 00     # unique = 0x44
                00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00
                """);

        assertEquals("myregion", device.name);
        List<FakeDevice.IoctlCall> calls = device.callsOf(FakeDevice.IoctlCall.class);
        assertEquals(0, calls.get(0).in().length);
        assertArrayEquals(name, calls.get(1).in());
        assertTrue(calls.get(1).inReadOnly(), "the device gets a read-only view of the request");
        assertEquals(List.of(
                "rx 66: IOCTL fh=7 cmd=0x41007701 arg=0x7ffd12345000 in=0 out=0 tid=4242"
                        + " -> RETRY in=[0x7ffd12345000+256] out=[]",
                "rx 68: IOCTL fh=7 cmd=0x41007701 arg=0x7ffd12345000 in=256 out=0 tid=4242 -> 0"),
                logs.messages(Level.DEBUG));
    }

    @Test
    void ioctlRetryDeliversOutputInASecondRound() {
        device.name = "myregion";
        // round 1: GET_NAME(buf); the device asks for room to write 256 bytes at buf
        exchange(ioctl("46 00 00 00 00 00 00 00", "02 00 00 00",
                "02 77 00 81",                        // cmd = 0x81007702 ASHMEM_GET_NAME
                "00 50 34 12 fd 7f 00 00", "00 00 00 00", "00 00 00 00"), """
                30 00 00 00  00 00 00 00  46 00 00 00 00 00 00 00
                00 00 00 00                 # result = 0
                04 00 00 00                 # flags = FUSE_IOCTL_RETRY
                00 00 00 00                 # in_iovs = 0
                01 00 00 00                 # out_iovs = 1
                00 50 34 12 fd 7f 00 00     # iovec[0].base = buf
                00 01 00 00 00 00 00 00     # iovec[0].len = 256
                """);
        // round 2: no data in, room for 256 bytes out; the reply carries 9
        exchange(ioctl("48 00 00 00 00 00 00 00", "02 00 00 00", "02 77 00 81",
                "00 50 34 12 fd 7f 00 00",
                "00 00 00 00",                        // in_size = 0
                "00 01 00 00"),                       // out_size = 256
                """
                29 00 00 00                 # len = 41 = 16 + 16 + 9
                00 00 00 00
                48 00 00 00 00 00 00 00     # unique = 0x48
                00 00 00 00                 # result = 0
                00 00 00 00  00 00 00 00  00 00 00 00
                6d 79 72 65 67 69 6f 6e 00  # "myregion\\0", scattered over the out iovec
                """);
        assertEquals(List.of(
                "rx 70: IOCTL fh=7 cmd=0x81007702 arg=0x7ffd12345000 in=0 out=0 tid=4242"
                        + " -> RETRY in=[] out=[0x7ffd12345000+256]",
                "rx 72: IOCTL fh=7 cmd=0x81007702 arg=0x7ffd12345000 in=0 out=256 tid=4242 -> 0 +9 bytes"),
                logs.messages(Level.DEBUG));
    }

    @Test
    void ioctlNegativeResultTravelsInTheResultField() {
        device.onIoctl = (caller, r) -> IoctlReply.result(-22);
        exchange(ioctl("4e 00 00 00 00 00 00 00", "02 00 00 00", "09 77 00 00",
                "00 00 00 00 00 00 00 00", "00 00 00 00", "00 00 00 00"), """
                20 00 00 00  00 00 00 00  4e 00 00 00 00 00 00 00
                ea ff ff ff                 # result = -22
                00 00 00 00  00 00 00 00  00 00 00 00
                """);
    }

    @Test
    void ioctlErrnoBecomesAnErrorReply() {
        exchange(ioctl("50 00 00 00 00 00 00 00", "02 00 00 00",
                "01 00 00 00",                        // cmd = 1: unknown to the device
                "00 00 00 00 00 00 00 00", "00 00 00 00", "00 00 00 00"), """
                10 00 00 00                 # len = 16
                e7 ff ff ff                 # error = -25 ENOTTY
                50 00 00 00 00 00 00 00
                """);
    }

    // ---------------------------------------------------------------- POLL

    @Test
    void pollEnosysPassesThroughToTurnPollingOffForGood() {
        exchange("""
                40 00 00 00                 # len = 64 = 40 + 24
                28 00 00 00                 # opcode = 40 POLL
                52 00 00 00 00 00 00 00     # unique = 0x52
                00 00 00 00 00 00 00 00
                42 27 00 00  42 27 00 00  92 10 00 00  00 00 00 00
                # fuse_poll_in
                07 00 00 00 00 00 00 00     # fh = 7
                01 00 00 00 00 00 00 00     # kh = 1
                01 00 00 00                 # flags = FUSE_POLL_SCHEDULE_NOTIFY
                01 00 00 00                 # events = POLLIN
                """, """
                10 00 00 00                 # len = 16
                da ff ff ff                 # error = -38 ENOSYS: the kernel stops asking
                52 00 00 00 00 00 00 00
                """);
        assertEquals(List.of(new FakeDevice.PollCall(new Caller(10050, 10050, 4242), 7, 1)),
                device.callsOf(FakeDevice.PollCall.class));
    }

    @Test
    void pollReturnsTheDevicesEvents() {
        device.onPoll = (caller, fh, events) -> 0x5;
        exchange("""
                40 00 00 00  28 00 00 00  54 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
                42 27 00 00  42 27 00 00  92 10 00 00  00 00 00 00
                07 00 00 00 00 00 00 00  01 00 00 00 00 00 00 00  00 00 00 00  05 00 00 00
                """, """
                18 00 00 00                 # len = 24 = 16 + 8
                00 00 00 00  54 00 00 00 00 00 00 00
                05 00 00 00                 # revents = POLLIN | POLLOUT
                00 00 00 00                 # padding
                """);
    }

    // ---------------------------------------------------------------- INTERRUPT, unknown

    @Test
    void interruptGetsNoReply() {
        int len = session.handle(Hex.frame("""
                30 00 00 00                 # len = 48 = 40 + 8
                24 00 00 00                 # opcode = 36 INTERRUPT
                43 00 00 00 00 00 00 00     # unique = 0x43 = 0x42 | 1
                00 00 00 00 00 00 00 00
                00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00   # zero-filled credentials
                # fuse_interrupt_in
                42 00 00 00 00 00 00 00     # unique of the interrupted request
                """), reply);
        assertEquals(0, len);
        assertEquals(0, reply.limit());
        assertTrue(device.calls.isEmpty());
        assertEquals(List.of("rx 67: INTERRUPT of 66 -> no reply"), logs.messages(Level.DEBUG));
    }

    @Test
    void unknownOpcodeGetsEnosysAndOneWarning() {
        exchange("""
                40 00 00 00                 # len = 64
                19 00 00 00                 # opcode = 25 FLUSH: never sent to CUSE
                56 00 00 00 00 00 00 00     # unique = 0x56
                00 00 00 00 00 00 00 00
                42 27 00 00  42 27 00 00  92 10 00 00  00 00 00 00
                07 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
                """, """
                10 00 00 00                 # len = 16
                da ff ff ff                 # error = -38 ENOSYS
                56 00 00 00 00 00 00 00
                """);
        assertEquals(List.of("rx 86: opcode 25 is not a CUSE request; answering ENOSYS"), logs.messages(Level.WARN));
        assertTrue(device.calls.isEmpty());
    }
}
