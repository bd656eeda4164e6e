package org.ashmemd.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.cuse.session.IoctlIovec;
import org.ashmemd.cuse.session.IoctlReply;
import org.ashmemd.cuse.session.IoctlRequest;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.ashmemd.procscan.ProcFs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The device's ioctl decoding, round by round, as the kernel drives it: which rounds ask for
 * which caller memory, and in which order errors come. Real memfds back the regions.
 */
class AshmemCharDeviceTest {
    private static final int PAGE = 4096;
    private static final int NATIVE = IoctlRequest.FLAG_UNRESTRICTED;
    private static final int COMPAT32 = IoctlRequest.FLAG_COMPAT | IoctlRequest.FLAG_UNRESTRICTED | IoctlRequest.FLAG_32BIT;
    private static final Caller ME = new Caller(0, 0, (int) ProcessHandle.current().pid());
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final List<String> issued = new ArrayList<>();
    private boolean sysAdmin = true;
    private AshmemCharDevice device;
    private long fh;

    @BeforeEach
    void open() throws Exception {
        AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
        MapGrants grants = new MapGrants() {
            @Override
            public int issue(OpenFile file, int tid, int prot) {
                issued.add(file.area().id() + ":" + tid + ":" + prot);
                return 4242;
            }

            @Override
            public void revoke(OpenFile file) {
                issued.add("revoke " + file.area().id());
            }
        };
        CallerFacts facts = new CallerFacts() {
            @Override
            public boolean hasSysAdmin(int tid) {
                return sysAdmin;
            }

            @Override
            public boolean readImpliesExec(int tid) {
                return false;
            }
        };
        device = new AshmemCharDevice(registry, facts, grants,
                new OpenerResolver(new ProcFs(), System::nanoTime, 1_000_000_000L),
                new RegionLimits(new RegionLimits.Caps(3, 0, 0, 0)));
        fh = device.open(ME, 2);
    }

    @AfterEach
    void close() {
        device.releaseAll();
    }

    private IoctlReply ioctl(int flags, int cmd, long arg, ByteBuffer in, int outSize) throws ErrnoException {
        return device.ioctl(ME, new IoctlRequest(fh, flags, cmd, arg, in.asReadOnlyBuffer(), outSize));
    }

    private int result(int cmd, long arg) throws ErrnoException {
        return ((IoctlReply.Done) ioctl(NATIVE, cmd, arg, EMPTY, 0)).result();
    }

    private static int errno(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(ErrnoException.class, e).errno();
    }

    private static ByteBuffer pin(int offset, int len) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(offset).putInt(len).flip();
    }

    @Test
    void setNameAsksOnlyUpToThePageEndFirst() throws Exception {
        long arg = 0x7000_0000L + PAGE - 10; // 10 bytes before a page boundary
        IoctlReply.Retry r1 = assertInstanceOf(IoctlReply.Retry.class, ioctl(NATIVE, AshmemIoctl.SET_NAME, arg, EMPTY, 0));
        assertEquals(List.of(new IoctlIovec(arg, 10)), r1.in());
        // the string ended there: done in two rounds
        IoctlReply done = ioctl(NATIVE, AshmemIoctl.SET_NAME, arg, ByteBuffer.wrap("short\0junk".getBytes()), 0);
        assertEquals(0, ((IoctlReply.Done) done).result());
        IoctlReply.Retry g = assertInstanceOf(IoctlReply.Retry.class, ioctl(NATIVE, AshmemIoctl.GET_NAME, 0x5000, EMPTY, 0));
        assertEquals(List.of(new IoctlIovec(0x5000, 6)), g.out(), "exactly strlen+1 bytes are written back");
        IoctlReply.Done name = (IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.GET_NAME, 0x5000, EMPTY, 6);
        assertArrayEquals("short\0".getBytes(), name.out());
    }

    @Test
    void setNameWithoutNulBeforeThePageEndAsksForTheFull256() throws Exception {
        long arg = 0x7000_0000L + PAGE - 4;
        ioctl(NATIVE, AshmemIoctl.SET_NAME, arg, EMPTY, 0);
        IoctlReply.Retry r2 = assertInstanceOf(IoctlReply.Retry.class,
                ioctl(NATIVE, AshmemIoctl.SET_NAME, arg, ByteBuffer.wrap("abcd".getBytes()), 0));
        assertEquals(List.of(new IoctlIovec(arg, 256)), r2.in(), "the kernel faults here if the next page is unmapped");
        byte[] full = new byte[256];
        java.util.Arrays.fill(full, (byte) 'x');
        assertEquals(0, ((IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.SET_NAME, arg, ByteBuffer.wrap(full), 0)).result());
        IoctlReply.Done name = (IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.GET_NAME, 0x5000, EMPTY, 256);
        assertEquals(256, name.out().length, "255 bytes kept plus the NUL");
    }

    @Test
    void defaultNameIsDevAshmem() throws Exception {
        IoctlReply.Done name = (IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.GET_NAME, 0x5000, EMPTY, 256);
        assertArrayEquals("dev/ashmem\0".getBytes(StandardCharsets.US_ASCII), name.out());
    }

    @Test
    void sizesAndCompatNumbers() throws Exception {
        assertEquals(0, result(AshmemIoctl.SET_SIZE, 12345));
        assertEquals(12345, result(AshmemIoctl.GET_SIZE, 0));
        assertEquals(Errno.ENOTTY.number(), errno(() -> result(AshmemIoctl.COMPAT_SET_SIZE, 1)),
                "a 64-bit caller cannot use the 32-bit number");
        assertEquals(0, ((IoctlReply.Done) ioctl(COMPAT32, AshmemIoctl.COMPAT_SET_SIZE, 777, EMPTY, 0)).result());
        assertEquals(0, ((IoctlReply.Done) ioctl(COMPAT32, AshmemIoctl.SET_SIZE, 778, EMPTY, 0)).result(),
                "the driver's compat handler forwards the native number too");
        assertEquals(778, result(AshmemIoctl.GET_SIZE, 0));
        assertEquals(Errno.EINVAL.number(), errno(() -> result(AshmemIoctl.SET_SIZE, 1L << 31)));
    }

    @Test
    void protMask() throws Exception {
        assertEquals(Prot.ALL, result(AshmemIoctl.GET_PROT_MASK, 0));
        assertEquals(0, result(AshmemIoctl.SET_PROT_MASK, Prot.READ));
        assertEquals(Errno.EINVAL.number(), errno(() -> result(AshmemIoctl.SET_PROT_MASK, Prot.READ | Prot.WRITE)));
        assertEquals(0, ((IoctlReply.Done) ioctl(COMPAT32, AshmemIoctl.COMPAT_SET_PROT_MASK, 0, EMPTY, 0)).result());
        assertEquals(0, result(AshmemIoctl.GET_PROT_MASK, 0));
    }

    @Test
    void pinCopiesBeforeCheckingTheMapping() throws Exception {
        IoctlReply.Retry r = assertInstanceOf(IoctlReply.Retry.class, ioctl(NATIVE, AshmemIoctl.PIN, 0x9000, EMPTY, 0));
        assertEquals(List.of(new IoctlIovec(0x9000, 8)), r.in(), "a bad pointer faults in the kernel: EFAULT first");
        assertEquals(Errno.EINVAL.number(), errno(() -> ioctl(NATIVE, AshmemIoctl.PIN, 0x9000, pin(0, 0), 0)),
                "then EINVAL: never mapped");
    }

    @Test
    void fileIdChecksTheMappingBeforeAnyCopy() throws Exception {
        assertEquals(Errno.EINVAL.number(), errno(() -> ioctl(NATIVE, AshmemIoctl.GET_FILE_ID, 0, EMPTY, 0)));
    }

    @Test
    void getTokenMapsValidatesAndIssues() throws Exception {
        result(AshmemIoctl.SET_SIZE, 3 * PAGE);
        long shared = (3L << AshmemIoctl.MAP_PAGES_SHIFT) | AshmemIoctl.MAP_SHARED | Prot.READ | Prot.WRITE;
        assertEquals(4242, result(AshmemIoctl.ASHMEMD_GET_TOKEN, shared));
        assertEquals(List.of(fh + ":" + ME.tid() + ":" + (Prot.READ | Prot.WRITE)), issued);
        long tooLong = (4L << AshmemIoctl.MAP_PAGES_SHIFT) | AshmemIoctl.MAP_SHARED | Prot.READ;
        assertEquals(Errno.EINVAL.number(), errno(() -> result(AshmemIoctl.ASHMEMD_GET_TOKEN, tooLong)));
        long priv = (1L << AshmemIoctl.MAP_PAGES_SHIFT) | Prot.READ;
        assertEquals(0, result(AshmemIoctl.ASHMEMD_GET_TOKEN, priv), "private mappings need no token");
        // mapped: name and size are frozen, pins work, file id is the memfd's inode
        assertEquals(Errno.EINVAL.number(), errno(() -> result(AshmemIoctl.SET_SIZE, PAGE)));
        assertEquals(AreaRegistry.NOT_PURGED, ((IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.UNPIN, 1, pin(0, PAGE), 0)).result());
        assertEquals(AreaRegistry.IS_UNPINNED,
                ((IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.GET_PIN_STATUS, 1, pin(0, 0), 0)).result());
        assertEquals(1, result(AshmemIoctl.PURGE_ALL_CACHES, 0));
        assertEquals(AreaRegistry.WAS_PURGED, ((IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.PIN, 1, pin(0, PAGE), 0)).result());
        IoctlReply.Done id64 = (IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.GET_FILE_ID, 0x100, EMPTY, 8);
        assertEquals(8, id64.out().length);
        assertTrue(ByteBuffer.wrap(id64.out()).order(ByteOrder.nativeOrder()).getLong() > 0);
        IoctlReply.Retry id32 = assertInstanceOf(IoctlReply.Retry.class,
                ioctl(COMPAT32, AshmemIoctl.COMPAT_GET_FILE_ID, 0x100, EMPTY, 0));
        assertEquals(List.of(new IoctlIovec(0x100, 4)), id32.out());
    }

    @Test
    void purgeNeedsSysAdmin() throws Exception {
        sysAdmin = false;
        assertEquals(Errno.EPERM.number(), errno(() -> result(AshmemIoctl.PURGE_ALL_CACHES, 0)));
    }

    @Test
    void seekGoesThroughTheStruct() throws Exception {
        result(AshmemIoctl.SET_SIZE, 2 * PAGE);
        result(AshmemIoctl.ASHMEMD_GET_TOKEN, (2L << AshmemIoctl.MAP_PAGES_SHIFT) | Prot.READ);
        IoctlReply.Retry r = assertInstanceOf(IoctlReply.Retry.class, ioctl(NATIVE, AshmemIoctl.ASHMEMD_SEEK, 0x700, EMPTY, 0));
        assertEquals(List.of(new IoctlIovec(0x700, 16)), r.in());
        assertEquals(List.of(new IoctlIovec(0x700, 16)), r.out());
        ByteBuffer s = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(-1).putInt(2).putInt(0).flip();
        IoctlReply.Done d = (IoctlReply.Done) ioctl(NATIVE, AshmemIoctl.ASHMEMD_SEEK, 0x700, s, 16);
        assertEquals(2L * PAGE - 1, ByteBuffer.wrap(d.out()).order(ByteOrder.nativeOrder()).getLong());
        ByteBuffer bad = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(0).putInt(9).putInt(0).flip();
        assertEquals(Errno.EINVAL.number(), errno(() -> ioctl(NATIVE, AshmemIoctl.ASHMEMD_SEEK, 0x700, bad, 16)));
    }

    @Test
    void readAndWriteFollowTheDriver() throws Exception {
        ByteBuffer dst = ByteBuffer.allocateDirect(64);
        assertEquals(0, device.read(ME, fh, 0, dst, 0), "size 0 reads as EOF");
        result(AshmemIoctl.SET_SIZE, PAGE);
        assertEquals(Errno.EBADF.number(), errno(() -> device.read(ME, fh, 0, dst, 0)), "never mapped");
        assertEquals(Errno.EINVAL.number(), errno(() -> device.write(ME, fh, 0, ByteBuffer.allocate(1), 0)));
    }

    @Test
    void unknownCommandsAreEnotty() {
        assertEquals(Errno.ENOTTY.number(), errno(() -> result(0x770c, 0)));
        assertEquals(Errno.ENOTTY.number(), errno(() -> result(0xdeadbeef, 0)));
    }

    @Test
    void openBeyondTheUidCapFailsAndReleaseFreesRoom() throws Exception {
        long second = device.open(ME, 2);
        device.open(ME, 2);
        assertEquals(Errno.EMFILE.number(), errno(() -> device.open(ME, 2)));
        device.release(second, 0);
        device.open(ME, 2);
        assertEquals(1, device.limits().refused());
    }

    @Test
    void releaseRevokesTokensAndForgetsTheFile() throws Exception {
        device.release(fh, 0);
        assertTrue(issued.contains("revoke " + fh));
        assertEquals(Errno.EBADF.number(), errno(() -> result(AshmemIoctl.GET_SIZE, 0)));
    }
}
