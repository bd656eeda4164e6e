package org.ashmemd.cuse.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.ashmemd.cuse.LogCapture;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.cuse.session.CharDevice;
import org.ashmemd.cuse.session.CuseConfig;
import org.ashmemd.cuse.session.CuseSession;
import org.ashmemd.cuse.session.IoctlReply;
import org.ashmemd.cuse.session.IoctlRequest;
import org.ashmemd.cuse.wire.CuseDevInfo;
import org.ashmemd.cuse.wire.CuseInitIn;
import org.ashmemd.cuse.wire.CuseInitOut;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport's libc read/write loop, start-up check and shutdown, driven through a regular
 * file instead of /dev/cuse: a read returns the one frame the file holds, the reply is written
 * after it, and the next read's end of file stands for the connection going away. The kernel's
 * side is proven elsewhere, in a VM with CUSE.
 */
class CuseTransportFileTest {
    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path dir;
    private LogCapture logs;

    @BeforeEach
    void quiet() {
        logs = LogCapture.of(CuseTransport.class, Level.DEBUG);
    }

    @AfterEach
    void restore() {
        logs.close();
    }

    private static final CharDevice NO_DEVICE = new CharDevice() {
        @Override
        public long open(Caller caller, int flags) {
            return 1;
        }

        @Override
        public void release(long fh, int flags) {
        }

        @Override
        public int read(Caller caller, long fh, long offsetInCall, ByteBuffer dst, int fileFlags) {
            return 0;
        }

        @Override
        public int write(Caller caller, long fh, long offsetInCall, ByteBuffer src, int fileFlags) {
            return src.remaining();
        }

        @Override
        public IoctlReply ioctl(Caller caller, IoctlRequest request) throws ErrnoException {
            throw new ErrnoException(Errno.ENOTTY, "none");
        }
    };

    private static byte[] initFrame() {
        int len = InHeader.SIZE + CuseInitIn.SIZE;
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        new InHeader(len, Opcode.CUSE_INIT.number(), 2, 0, 0, 0, 1, 0, 0).encode(b);
        new CuseInitIn(7, 41, 0, FuseProtocol.CUSE_UNRESTRICTED_IOCTL).encode(b);
        return b.array();
    }

    private Path channelWith(byte[] content) throws Exception {
        Path channel = dir.resolve("channel");
        Files.write(channel, content);
        return channel;
    }

    private Path sysfsWithDevice(String name, String numbers) throws Exception {
        Path sysfs = dir.resolve("sysfs");
        Files.createDirectories(sysfs.resolve(DeviceInfo.sysfsName(name)));
        Files.writeString(sysfs.resolve(DeviceInfo.sysfsName(name)).resolve("dev"), numbers + "\n");
        return sysfs;
    }

    private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_SECONDS, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void missingChannelSaysToLoadTheModule() {
        CuseSession session = new CuseSession(CuseConfig.dynamic("ashmem", 4096), NO_DEVICE);
        CuseStartException e = assertThrows(CuseStartException.class,
                () -> CuseTransport.start(session, 1, dir.resolve("no-such-cuse").toString()));
        assertTrue(e.getMessage().contains("ENOENT") && e.getMessage().contains("modprobe cuse"), e.getMessage());
    }

    @Test
    void initIsAnsweredWithOneWriteAndTheDeviceIsConfirmedThroughSysfs() throws Exception {
        AtomicReference<Thread> reader = new AtomicReference<>();
        CuseSession session = new CuseSession(CuseConfig.dynamic("android/ashmem", 4096), NO_DEVICE,
                (op, cmd, errno, nanos) -> reader.set(Thread.currentThread()));
        Path channel = channelWith(initFrame());
        Path sysfs = sysfsWithDevice("android/ashmem", "240:7");

        CuseTransport t = CuseTransport.start(session, 1, channel.toString(), sysfs, dir.resolve("devices"));
        DeviceInfo info = t.started().get(WAIT_SECONDS, TimeUnit.SECONDS);
        t.stopped().get(WAIT_SECONDS, TimeUnit.SECONDS);
        t.close();
        t.close();

        assertEquals(new DeviceInfo("android/ashmem", 240, 7), info);
        assertEquals("cuse-reader-1", reader.get().getName());
        assertFalse(reader.get().isDaemon());
        assertTrue(session.initialized());

        byte[] written = Files.readAllBytes(channel);
        byte[] info0 = CuseDevInfo.encode("android/ashmem");
        int replyLen = OutHeader.SIZE + CuseInitOut.SIZE + info0.length;
        assertEquals(56 + replyLen, written.length, "the request, then exactly one reply");
        ByteBuffer reply = ByteBuffer.wrap(written, 56, replyLen).slice().order(ByteOrder.nativeOrder());
        assertEquals(new OutHeader(replyLen, 0, 2), OutHeader.decode(reply));
        assertEquals(new CuseInitOut(7, 41, 1, 131072, 131072, 0, 0), CuseInitOut.decode(reply));
        assertArrayEquals(info0, Arrays.copyOfRange(written, 56 + 88, written.length));
    }

    @Test
    void initWithoutASysfsEntryMeansTheNameIsTaken() throws Exception {
        CuseSession session = new CuseSession(CuseConfig.dynamic("ashmem", 4096), NO_DEVICE);
        Path sysfs = sysfsWithDevice("other", "240:0");
        CuseTransport t = CuseTransport.start(session, 2, channelWith(initFrame()).toString(), sysfs, dir.resolve("devices"));
        Throwable cause = failureOf(t.started());
        assertInstanceOf(CuseStartException.class, cause);
        assertTrue(cause.getMessage().contains("refused CUSE device 'ashmem'"), cause.getMessage());
        t.stopped().get(WAIT_SECONDS, TimeUnit.SECONDS);
        t.close();
    }

    /**
     * With several readers, one answers CUSE_INIT while the others already see the connection
     * end: whichever wins, the start fails for the reason the INIT answer found, never with
     * "ended before CUSE_INIT was answered".
     */
    @RepeatedTest(200)
    void startFailureDoesNotDependOnWhichReaderWins() throws Exception {
        CuseSession session = new CuseSession(CuseConfig.dynamic("ashmem", 4096), NO_DEVICE);
        Path sysfs = sysfsWithDevice("other", "240:0");
        CuseTransport t = CuseTransport.start(session, 4, channelWith(initFrame()).toString(), sysfs, dir.resolve("devices"));
        Throwable cause = failureOf(t.started());
        assertTrue(cause.getMessage().contains("refused CUSE device 'ashmem'"), cause.getMessage());
        t.stopped().get(WAIT_SECONDS, TimeUnit.SECONDS);
        t.close();
    }

    @Test
    void initWithAStaticNumberAndNoDeviceMeansTheNumberIsTaken() throws Exception {
        CuseSession session = new CuseSession(new CuseConfig("ashmem", 121, 0, 4096), NO_DEVICE);
        Path sysfs = sysfsWithDevice("other", "121:1");
        Path devices = dir.resolve("devices");
        Files.writeString(devices, "Character devices:\n  1 mem\n121 other\n121 experiment\n\nBlock devices:\n121 blk\n");
        CuseTransport t = CuseTransport.start(session, 1, channelWith(initFrame()).toString(), sysfs, devices);
        Throwable cause = failureOf(t.started());
        assertEquals("device number 121:0 for /dev/ashmem is taken or invalid (/proc/devices lists major 121 for"
                + " other, experiment): the kernel refused to register it (dmesg: 'CUSE: failed to register chrdev"
                + " region'); pick a free one with --major/--minor, or drop --major for a dynamic one",
                cause.getMessage());
        // the reply carried the numbers
        byte[] written = Files.readAllBytes(dir.resolve("channel"));
        ByteBuffer reply = ByteBuffer.wrap(written, 56 + OutHeader.SIZE, CuseInitOut.SIZE).slice()
                .order(ByteOrder.nativeOrder());
        assertEquals(new CuseInitOut(7, 41, 1, 131072, 131072, 121, 0), CuseInitOut.decode(reply));
        t.stopped().get(WAIT_SECONDS, TimeUnit.SECONDS);
        t.close();
    }

    @Test
    void initWithAStaticNumberWhoseNameIsTakenBlamesTheName() throws Exception {
        CuseSession session = new CuseSession(new CuseConfig("ashmem", 121, 0, 4096), NO_DEVICE);
        Path sysfs = sysfsWithDevice("ashmem", "240:0");
        CuseTransport t = CuseTransport.start(session, 1, channelWith(initFrame()).toString(), sysfs,
                dir.resolve("devices"));
        Throwable cause = failureOf(t.started());
        assertTrue(cause.getMessage().contains("name is taken"), cause.getMessage());
        t.close();
    }

    @Test
    void initWithoutSysfsAtAllSaysSo() throws Exception {
        CuseSession session = new CuseSession(CuseConfig.dynamic("ashmem", 4096), NO_DEVICE);
        CuseTransport t = CuseTransport.start(session, 1, channelWith(initFrame()).toString(), dir.resolve("nosys"),
                dir.resolve("devices"));
        Throwable cause = failureOf(t.started());
        assertTrue(cause.getMessage().contains("is sysfs mounted?"), cause.getMessage());
        t.close();
    }

    @Test
    void connectionEndingBeforeInitFailsTheStart() throws Exception {
        CuseSession session = new CuseSession(CuseConfig.dynamic("ashmem", 4096), NO_DEVICE);
        CuseTransport t = CuseTransport.start(session, 3, channelWith(new byte[0]).toString(), dir, dir.resolve("devices"));
        Throwable cause = failureOf(t.started());
        assertTrue(cause.getMessage().contains("before CUSE_INIT was answered"), cause.getMessage());
        t.stopped().get(WAIT_SECONDS, TimeUnit.SECONDS);
        t.close();
        assertFalse(session.initialized());
    }

    @Test
    void readerCountIsChecked() {
        CuseSession session = new CuseSession(CuseConfig.dynamic("ashmem", 4096), NO_DEVICE);
        assertThrows(IllegalArgumentException.class, () -> CuseTransport.start(session, 0, "/dev/null"));
        assertThrows(IllegalArgumentException.class,
                () -> CuseTransport.start(session, CuseTransport.MAX_READERS + 1, "/dev/null"));
    }
}
