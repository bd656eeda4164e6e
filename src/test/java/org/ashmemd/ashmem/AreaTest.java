package org.ashmemd.ashmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The per-area rows of docs/ashmem-semantics.md: names, sizes, masks, file ids, read, lseek, mmap. */
class AreaTest {
    static final int PAGE = 4096;

    FakeFactory factory;
    AreaRegistry registry;
    Area area;

    @BeforeEach
    void setUp() {
        factory = new FakeFactory();
        registry = new AreaRegistry(factory, PAGE);
        area = registry.open();
    }

    static ErrnoException assertErrno(Errno expected, Executable call) {
        ErrnoException e = assertThrows(ErrnoException.class, call);
        assertEquals(expected.number(), e.errno(), e::toString);
        assertFalse(e.getMessage().isBlank());
        assertFalse(e.getMessage().contains("\n"), "one log line");
        return e;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] repeat(char c, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }

    static byte[] withNul(byte[] b) {
        return Arrays.copyOf(b, b.length + 1);
    }

    FakeBacking mapWhole() throws ErrnoException {
        return (FakeBacking) FakeFactory.map(area, PageSpan.pageAlign(area.size(), PAGE), Prot.READ | Prot.WRITE);
    }

    @Test
    void initialState() {
        assertEquals(0, area.size());
        assertEquals(Prot.READ | Prot.WRITE | Prot.EXEC, area.protMask());
        assertArrayEquals(bytes("dev/ashmem\0"), area.getName());
        assertNull(area.backing());
        assertEquals(0, area.position());
    }

    @Test
    void idsAreUniquePositiveAndIncreasing() {
        Area b = registry.open();
        Area c = registry.open();
        assertTrue(area.id() > 0);
        assertTrue(b.id() > area.id());
        assertTrue(c.id() > b.id());
        registry.release(b);
        assertTrue(registry.open().id() > c.id(), "ids are never reused");
    }

    @Test
    void rejectsPageSizesThatAreNotPowersOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new AreaRegistry(factory, 0));
        assertThrows(IllegalArgumentException.class, () -> new AreaRegistry(factory, 3000));
        assertEquals(16384, new AreaRegistry(factory, 16384).pageSize());
    }

    @Nested
    class Names {
        @Test
        void nameUpToNul() throws ErrnoException {
            area.setName(bytes("foo\0"), 4);
            assertArrayEquals(bytes("foo\0"), area.getName());
        }

        @Test
        void bytesAfterTheFirstNulAreIgnored() throws ErrnoException {
            area.setName(bytes("abc\0junk"), 8);
            assertArrayEquals(bytes("abc\0"), area.getName());
        }

        @Test
        void bufferWithoutNulShorterThan256IsTakenWhole() throws ErrnoException {
            area.setName(bytes("hello"), 5);
            assertArrayEquals(bytes("hello\0"), area.getName());
        }

        @Test
        void lengthLimitsTheBuffer() throws ErrnoException {
            area.setName(bytes("hello"), 3);
            assertArrayEquals(bytes("hel\0"), area.getName());
        }

        @Test
        void name255BytesPlusNulIsKept() throws ErrnoException {
            byte[] name = repeat('a', 255);
            area.setName(withNul(name), 256);
            assertArrayEquals(withNul(name), area.getName());
            assertEquals(256, area.getName().length);
        }

        @Test
        void buffer256BytesWithoutNulKeepsFirst255() throws ErrnoException {
            byte[] buf = repeat('b', 256);
            buf[254] = 'y';
            buf[255] = 'z';
            area.setName(buf, 256);
            byte[] expected = withNul(Arrays.copyOf(buf, 255));
            assertArrayEquals(expected, area.getName());
            assertEquals('y', area.getName()[254]);
        }

        @Test
        void longerBufferIsCutAt256() throws ErrnoException {
            area.setName(repeat('c', 300), 300);
            assertArrayEquals(withNul(repeat('c', 255)), area.getName());
        }

        @Test
        void emptyNameReportsTheDefault() throws ErrnoException {
            area.setName(bytes("x\0"), 2);
            area.setName(bytes("\0"), 1);
            assertArrayEquals(bytes("dev/ashmem\0"), area.getName());
            assertEquals(11, area.getName().length);
            area.setName(new byte[0], 0);
            assertArrayEquals(bytes("dev/ashmem\0"), area.getName());
        }

        @Test
        void lastNameWins() throws ErrnoException {
            area.setName(bytes("first\0"), 6);
            area.setName(bytes("2nd\0"), 4);
            assertArrayEquals(bytes("2nd\0"), area.getName());
        }

        @Test
        void nonUtf8BytesRoundTripExactly() throws ErrnoException {
            byte[] raw = {(byte) 0xff, (byte) 0xfe, 'o', (byte) 0x80, 0};
            area.setName(raw, raw.length);
            assertArrayEquals(raw, area.getName());
            assertEquals("\ufffd\ufffdo\ufffd", area.snapshot().name());
        }

        @Test
        void getNameReturnsACopy() throws ErrnoException {
            area.setName(bytes("abc\0"), 4);
            area.getName()[0] = 'X';
            assertArrayEquals(bytes("abc\0"), area.getName());
        }

        @Test
        void setNameAfterMmapIsEinvalAndKeepsTheName() throws ErrnoException {
            area.setName(bytes("keep\0"), 5);
            area.setSize(PAGE);
            mapWhole();
            ErrnoException e = assertErrno(Errno.EINVAL, () -> area.setName(bytes("new\0"), 4));
            assertEquals("SET_NAME after the region was mapped", e.getMessage());
            assertArrayEquals(bytes("keep\0"), area.getName());
        }

        @Test
        void lengthBeyondTheArrayIsAProgrammingError() {
            assertThrows(IndexOutOfBoundsException.class, () -> area.setName(new byte[4], 5));
            assertThrows(IndexOutOfBoundsException.class, () -> area.setName(new byte[4], -1));
        }
    }

    @Nested
    class Sizes {
        @ParameterizedTest
        @ValueSource(longs = {0, 1, 4095, 4096, 4097, 123_456_789, Integer.MAX_VALUE})
        void anySizeUpToIntMaxIsKeptAsIs(long size) throws ErrnoException {
            area.setSize(size);
            assertEquals(size, area.size());
        }

        @ParameterizedTest
        @ValueSource(longs = {Integer.MAX_VALUE + 1L, 1L << 32, Long.MAX_VALUE, -1L, Long.MIN_VALUE})
        void sizesGetSizeCannotReportAreEinval(long size) throws ErrnoException {
            area.setSize(7);
            ErrnoException e = assertErrno(Errno.EINVAL, () -> area.setSize(size));
            assertTrue(e.getMessage().contains(Long.toUnsignedString(size)), e.getMessage());
            assertTrue(e.getMessage().contains("CUSE"), e.getMessage());
            assertEquals(7, area.size(), "unchanged");
        }

        @Test
        void setSizeAfterMmapIsEinvalEvenForTheSameValue() throws ErrnoException {
            area.setSize(5000);
            mapWhole();
            ErrnoException e = assertErrno(Errno.EINVAL, () -> area.setSize(5000));
            assertEquals("SET_SIZE after the region was mapped", e.getMessage());
            assertErrno(Errno.EINVAL, () -> area.setSize(1));
            assertEquals(5000, area.size());
        }
    }

    @Nested
    class ProtMasks {
        @Test
        void bitsCanBeRemoved() throws ErrnoException {
            area.setProtMask(Prot.READ | Prot.WRITE, false);
            assertEquals(Prot.READ | Prot.WRITE, area.protMask());
            area.setProtMask(Prot.READ, false);
            assertEquals(Prot.READ, area.protMask());
            area.setProtMask(0, false);
            assertEquals(0, area.protMask());
        }

        @Test
        void settingTheSameMaskIsAllowed() throws ErrnoException {
            area.setProtMask(Prot.ALL, false);
            assertEquals(Prot.ALL, area.protMask());
        }

        @Test
        void bitsCannotBeAdded() throws ErrnoException {
            area.setProtMask(Prot.READ, false);
            assertErrno(Errno.EINVAL, () -> area.setProtMask(Prot.READ | Prot.WRITE, false));
            area.setProtMask(0, false);
            assertErrno(Errno.EINVAL, () -> area.setProtMask(Prot.READ, false));
            assertEquals(0, area.protMask());
        }

        @ParameterizedTest
        @ValueSource(longs = {8, 0x10, 1L << 31, 1L << 32, (1L << 40) | Prot.READ, -1L})
        void bitsOutsideTheMaskAreEinval(long prot) {
            assertErrno(Errno.EINVAL, () -> area.setProtMask(prot, false));
            assertEquals(Prot.ALL, area.protMask());
        }

        @Test
        void readImpliesExecAddsExecToRead() throws ErrnoException {
            area.setProtMask(Prot.READ, true);
            assertEquals(Prot.READ | Prot.EXEC, area.protMask());
        }

        @Test
        void readImpliesExecAddsExecEvenWhenTheMaskLostIt() throws ErrnoException {
            area.setProtMask(Prot.READ, false);
            area.setProtMask(Prot.READ, true);
            assertEquals(Prot.READ | Prot.EXEC, area.protMask(), "the driver ORs PROT_EXEC after its check");
        }

        @Test
        void readImpliesExecNeedsRead() throws ErrnoException {
            area.setProtMask(Prot.WRITE, true);
            assertEquals(Prot.WRITE, area.protMask());
            area.setProtMask(0, true);
            assertEquals(0, area.protMask());
        }

        @Test
        void allowedAfterMmapAndTellsTheBacking() throws ErrnoException {
            area.setSize(PAGE);
            area.setProtMask(Prot.READ | Prot.WRITE, false); // before mmap: nothing to tell
            FakeBacking b = mapWhole();
            assertEquals(Prot.READ | Prot.WRITE, b.createMask);
            area.setProtMask(Prot.READ | Prot.WRITE, false); // unchanged: nothing to tell
            area.setProtMask(Prot.READ, false);
            assertEquals(List.of(Prot.READ), b.maskChanges);
            assertEquals(Prot.READ, area.protMask());
        }
    }

    @Nested
    class FileIds {
        @Test
        void einvalBeforeMmap() throws ErrnoException {
            assertErrno(Errno.EINVAL, area::fileId);
            area.setSize(PAGE);
            assertErrno(Errno.EINVAL, area::fileId);
        }

        @Test
        void theBackingsInode() throws ErrnoException {
            area.setSize(PAGE);
            FakeBacking b = mapWhole();
            assertEquals(b.inode, area.fileId());
        }
    }

    @Nested
    class Reads {
        @Test
        void sizeZeroReadsAsEofEvenWithoutBacking() throws ErrnoException {
            assertEquals(0, area.read(ByteBuffer.allocate(10)));
        }

        @Test
        void noBackingIsEbadf() throws ErrnoException {
            area.setSize(PAGE);
            assertErrno(Errno.EBADF, () -> area.read(ByteBuffer.allocate(10)));
        }

        @Test
        void readsAtThePositionAndAdvances() throws ErrnoException {
            area.setSize(100);
            FakeBacking b = mapWhole();
            byte[] content = new byte[100];
            for (int i = 0; i < content.length; i++) {
                content[i] = (byte) i;
            }
            b.fill(0, content);

            ByteBuffer dst = ByteBuffer.allocate(30);
            assertEquals(30, area.read(dst));
            assertArrayEquals(Arrays.copyOfRange(content, 0, 30), dst.array());
            assertEquals(30, area.position());

            dst = ByteBuffer.allocate(200);
            assertEquals(70, area.read(dst));
            assertArrayEquals(Arrays.copyOfRange(content, 30, 100), Arrays.copyOf(dst.array(), 70));
            assertEquals(100, area.position());

            assertEquals(0, area.read(ByteBuffer.allocate(5)), "end of file");
            assertEquals(100, area.position());
        }

        @Test
        void emptyDestinationReadsNothing() throws ErrnoException {
            area.setSize(100);
            mapWhole();
            assertEquals(0, area.read(ByteBuffer.allocate(0)));
            assertEquals(0, area.position());
        }
    }

    @Nested
    class Seeks {
        @Test
        void sizeZeroIsEinval() {
            assertErrno(Errno.EINVAL, () -> area.seek(0, FakeBacking.SEEK_SET));
        }

        @Test
        void noBackingIsEbadf() throws ErrnoException {
            area.setSize(PAGE);
            assertErrno(Errno.EBADF, () -> area.seek(0, FakeBacking.SEEK_SET));
        }

        @Test
        void delegatesWithTheCurrentPositionAndKeepsTheResult() throws ErrnoException {
            area.setSize(1000);
            FakeBacking b = mapWhole();
            assertEquals(100, area.seek(100, FakeBacking.SEEK_SET));
            assertEquals(0, b.lastSeekPosition);
            assertEquals(100, area.position());
            assertEquals(110, area.seek(10, FakeBacking.SEEK_CUR));
            assertEquals(100, b.lastSeekPosition);
            assertEquals(990, area.seek(-10, FakeBacking.SEEK_END));
            assertEquals(1000, area.seek(5, FakeBacking.SEEK_HOLE));
            assertEquals(20, area.seek(20, FakeBacking.SEEK_DATA));

            b.fill(20, new byte[] {42});
            ByteBuffer dst = ByteBuffer.allocate(1);
            assertEquals(1, area.read(dst));
            assertEquals(42, dst.get(0), "read continues at the sought position");
            assertEquals(21, area.seek(0, FakeBacking.SEEK_CUR));
        }

        @Test
        void backingErrorsPassThroughAndKeepThePosition() throws ErrnoException {
            area.setSize(1000);
            mapWhole();
            area.seek(50, FakeBacking.SEEK_SET);
            assertErrno(Errno.ENXIO, () -> area.seek(5000, FakeBacking.SEEK_DATA));
            assertErrno(Errno.EINVAL, () -> area.seek(-1, FakeBacking.SEEK_SET));
            assertErrno(Errno.EINVAL, () -> area.seek(0, 99));
            assertEquals(50, area.position());
        }
    }

    @Nested
    class Mmap {
        /** The memory is made outside the registry lock: what another request did meanwhile counts first. */
        @Test
        void aSizeSetWhileTheMemoryIsMadeIsTheSizeMapped() throws ErrnoException {
            area.setSize(PAGE);
            factory.duringNextCreate = () -> assertDoesNotThrow(() -> area.setSize(3 * PAGE));
            FakeBacking b = (FakeBacking) FakeFactory.map(area, PAGE, Prot.READ);
            assertEquals(3 * PAGE, b.size);
            assertEquals(2, factory.created.size());
            assertEquals(1, factory.created.get(0).closeCount(), "the memory of the old size is closed");
            assertErrno(Errno.EINVAL, () -> area.setSize(PAGE)); // frozen now
        }

        @Test
        void aReleaseWhileTheMemoryIsMadeIsEbadf() throws ErrnoException {
            area.setSize(PAGE);
            factory.duringNextCreate = () -> registry.release(area);
            assertErrno(Errno.EBADF, () -> area.map(PAGE, Prot.READ));
            assertEquals(1, factory.created.get(0).closeCount());
        }

        @Test
        void twoFirstMmapsAtOnceKeepOneMemory() throws ErrnoException {
            area.setSize(PAGE);
            factory.duringNextCreate = () -> assertDoesNotThrow(() -> area.map(PAGE, Prot.READ));
            area.map(PAGE, Prot.READ | Prot.WRITE);
            assertEquals(2, factory.created.size());
            FakeBacking inner = factory.created.get(0), outer = factory.created.get(1);
            assertSame(inner, area.backing(), "the first to finish stays");
            assertEquals(0, inner.closeCount());
            assertEquals(1, outer.closeCount());
        }

        @Test
        void sizeZeroIsEinval() {
            assertErrno(Errno.EINVAL, () -> FakeFactory.map(area, 0, Prot.READ));
            assertErrno(Errno.EINVAL, () -> FakeFactory.map(area, PAGE, Prot.READ));
            assertTrue(factory.created.isEmpty());
        }

        @Test
        void lengthUpToThePageAlignedSizeIsAllowed() throws ErrnoException {
            area.setSize(PAGE + 1);
            assertNotNull(FakeFactory.map(area, 2 * PAGE, Prot.READ));
            assertNotNull(FakeFactory.map(area, PAGE, Prot.READ));
        }

        @Test
        void lengthBeyondThePageAlignedSizeIsEinval() throws ErrnoException {
            area.setSize(PAGE + 1);
            assertErrno(Errno.EINVAL, () -> FakeFactory.map(area, 3 * PAGE, Prot.READ));
            assertErrno(Errno.EINVAL, () -> FakeFactory.map(area, -PAGE, Prot.READ)); // unsigned: huge
            assertTrue(factory.created.isEmpty());
        }

        @Test
        void defaultMaskAllowsEveryProtection() throws ErrnoException {
            area.setSize(PAGE);
            assertNotNull(FakeFactory.map(area, PAGE, Prot.READ | Prot.WRITE | Prot.EXEC));
        }

        @Test
        void protectionOutsideTheMaskIsEperm() throws ErrnoException {
            area.setSize(PAGE);
            area.setProtMask(Prot.READ, false);
            assertErrno(Errno.EPERM, () -> FakeFactory.map(area, PAGE, Prot.READ | Prot.WRITE));
            assertErrno(Errno.EPERM, () -> FakeFactory.map(area, PAGE, Prot.EXEC));
            assertTrue(factory.created.isEmpty());
            assertNotNull(FakeFactory.map(area, PAGE, Prot.READ));
            assertNotNull(FakeFactory.map(area, PAGE, Prot.NONE));
        }

        @Test
        void emptyMaskRefusesEvenReadMappings() throws ErrnoException {
            area.setSize(PAGE);
            area.setProtMask(0, false);
            assertErrno(Errno.EPERM, () -> FakeFactory.map(area, PAGE, Prot.READ));
            assertNotNull(FakeFactory.map(area, PAGE, Prot.NONE));
        }

        @Test
        void protBitsBeyondRwxAreNotChecked() throws ErrnoException {
            area.setSize(PAGE);
            area.setProtMask(Prot.READ, false);
            assertNotNull(FakeFactory.map(area, PAGE, Prot.READ | 0x8 | 0x0100_0000));
        }

        @Test
        void checksInTheDriversOrder() throws ErrnoException {
            area.setProtMask(0, false);
            assertErrno(Errno.EINVAL, () -> FakeFactory.map(area, PAGE, Prot.READ)); // size 0 first
            area.setSize(PAGE);
            assertErrno(Errno.EINVAL, () -> FakeFactory.map(area, 2 * PAGE, Prot.READ)); // then length
            assertErrno(Errno.EPERM, () -> FakeFactory.map(area, PAGE, Prot.READ)); // then prot
        }

        @Test
        void firstMmapCreatesNamedBackingOnce() throws ErrnoException {
            area.setName(bytes("my region\0"), 10);
            area.setSize(3 * PAGE + 5);
            area.setProtMask(Prot.READ | Prot.WRITE, false);
            BackingMemory first = FakeFactory.map(area, PAGE, Prot.READ);
            FakeBacking b = (FakeBacking) first;
            assertEquals("dev/ashmem/my region", b.name);
            assertEquals(3 * PAGE + 5, b.size);
            assertEquals(Prot.READ | Prot.WRITE, b.createMask);
            assertSame(first, FakeFactory.map(area, 4 * PAGE, Prot.READ | Prot.WRITE));
            assertSame(first, area.backing());
            assertEquals(1, factory.created.size());
        }

        @Test
        void unnamedBackingIsDevAshmem() throws ErrnoException {
            area.setName(bytes("\0"), 1);
            area.setSize(PAGE);
            assertEquals("dev/ashmem", ((FakeBacking) FakeFactory.map(area, PAGE, Prot.READ)).name);
        }

        @Test
        void maskWithoutWriteIsPassedToTheFactory() throws ErrnoException {
            area.setSize(PAGE);
            area.setProtMask(Prot.READ, false);
            assertEquals(Prot.READ, ((FakeBacking) FakeFactory.map(area, PAGE, Prot.READ)).createMask);
        }

        @Test
        void aPrivateMappingAlsoCreatesTheBacking() throws ErrnoException {
            // The core does not see MAP_SHARED vs MAP_PRIVATE: the driver creates its file either way.
            area.setSize(PAGE);
            FakeFactory.map(area, PAGE, Prot.READ);
            assertErrno(Errno.EINVAL, () -> area.setSize(2 * PAGE));
        }

        @Test
        void creationFailurePropagatesAndLeavesNoBacking() throws ErrnoException {
            area.setSize(PAGE);
            factory.failNext = Errno.ENOMEM;
            assertErrno(Errno.ENOMEM, () -> FakeFactory.map(area, PAGE, Prot.READ));
            assertNull(area.backing());
            area.setSize(2 * PAGE); // still allowed
            area.setName(bytes("later\0"), 6);
            FakeBacking b = (FakeBacking) FakeFactory.map(area, PAGE, Prot.READ);
            assertEquals("dev/ashmem/later", b.name);
            assertEquals(2 * PAGE, b.size);
        }

        @Test
        void laterMasksAffectLaterMmapsOnly() throws ErrnoException {
            area.setSize(PAGE);
            BackingMemory b = FakeFactory.map(area, PAGE, Prot.READ | Prot.WRITE);
            area.setProtMask(Prot.READ, false);
            assertErrno(Errno.EPERM, () -> FakeFactory.map(area, PAGE, Prot.READ | Prot.WRITE));
            assertSame(b, FakeFactory.map(area, PAGE, Prot.READ));
        }
    }

    @Nested
    class Release {
        @Test
        void closesTheBackingOnceAndForgetsTheArea() throws ErrnoException {
            area.setSize(PAGE);
            FakeBacking b = mapWhole();
            registry.release(area);
            assertEquals(1, b.closeCount());
            assertNull(area.backing());
            assertTrue(area.isReleased());
            assertEquals(0, registry.stats().areas());
            assertTrue(registry.snapshot().isEmpty());
            registry.release(area);
            assertEquals(1, b.closeCount(), "release is idempotent");
        }

        @Test
        void unmappedAreaHasNothingToClose() {
            registry.release(area);
            assertTrue(factory.created.isEmpty());
            assertEquals(0, registry.stats().areas());
        }

        @Test
        void operationsAfterReleaseAreEbadf() throws ErrnoException {
            area.setSize(PAGE);
            mapWhole();
            registry.release(area);
            assertErrno(Errno.EBADF, () -> area.setName(bytes("x\0"), 2));
            assertErrno(Errno.EBADF, () -> area.setSize(PAGE));
            assertErrno(Errno.EBADF, () -> area.setProtMask(0, false));
            assertErrno(Errno.EBADF, () -> area.pin(0, 0));
            assertErrno(Errno.EBADF, () -> area.unpin(0, 0));
            assertErrno(Errno.EBADF, () -> area.pinStatus(0, 0));
            assertErrno(Errno.EBADF, area::fileId);
            assertErrno(Errno.EBADF, () -> area.read(ByteBuffer.allocate(1)));
            assertErrno(Errno.EBADF, () -> area.seek(0, FakeBacking.SEEK_SET));
            assertErrno(Errno.EBADF, () -> FakeFactory.map(area, PAGE, Prot.READ));
            assertEquals(1, factory.created.size());
        }

        @Test
        void aLeaseKeepsTheBackingOpenUntilClosed() throws ErrnoException {
            area.setSize(PAGE);
            area.map(PAGE, Prot.READ);
            BackingLease lease = area.lease();
            FakeBacking b = (FakeBacking) lease.memory();
            assertSame(area, lease.area());
            registry.release(area);
            assertEquals(0, b.closeCount());
            lease.close();
            assertEquals(1, b.closeCount());
            lease.close();
            assertEquals(1, b.closeCount());
        }

        @Test
        void aLeaseClosedBeforeReleaseDoesNotClose() throws ErrnoException {
            area.setSize(PAGE);
            area.map(PAGE, Prot.READ);
            try (BackingLease lease = area.lease()) {
                assertNotNull(lease.memory());
            }
            FakeBacking b = factory.created.get(0);
            assertEquals(0, b.closeCount());
            registry.release(area);
            assertEquals(1, b.closeCount());
        }

        @Test
        void aFailedLeaseHoldsNothing() throws ErrnoException {
            area.setSize(PAGE);
            assertErrno(Errno.EINVAL, area::lease); // never mapped
            mapWhole();
            registry.release(area);
            assertEquals(1, factory.created.get(0).closeCount());
            assertErrno(Errno.EBADF, area::lease); // released
            assertEquals(1, factory.created.get(0).closeCount());
        }

        @Test
        void residentBytesAskTheBackingWhileItLives() throws ErrnoException {
            assertEquals(0, area.residentBytes(), "no backing yet");
            area.setSize(PAGE);
            FakeBacking b = mapWhole();
            b.resident = PAGE;
            assertEquals(PAGE, area.residentBytes());
            registry.release(area);
            assertEquals(0, area.residentBytes(), "released");
            assertEquals(1, b.closeCount());
        }

        @Test
        void releaseBelongsToTheRightRegistry() {
            AreaRegistry other = new AreaRegistry(factory, PAGE);
            assertThrows(IllegalArgumentException.class, () -> other.release(area));
        }
    }

    @Nested
    class Snapshots {
        @Test
        void describesTheArea() throws ErrnoException {
            area.setName(bytes("snap\0"), 5);
            area.setSize(4 * PAGE);
            area.setProtMask(Prot.READ | Prot.WRITE, false);
            AreaSnapshot before = area.snapshot();
            assertEquals(new AreaSnapshot(area.id(), "snap", null, 4 * PAGE, 3, false, -1, List.of(), 0, 0,
                    before.createdNanos()), before);

            FakeBacking b = mapWhole();
            area.unpin(PAGE, PAGE);
            area.unpin(3 * PAGE, 0);
            registry.purgeOldest(1, PurgeCause.ADMIN);
            AreaSnapshot after = area.snapshot();
            assertTrue(after.hasBacking());
            assertEquals(b.inode, after.inode());
            assertEquals(List.of(new UnpinnedRange(3, 3, false), new UnpinnedRange(1, 1, true)), after.unpinned());
            assertEquals(2, after.unpinnedPages());
            assertEquals(1, after.purgedPages());
            assertEquals(List.of(after), registry.snapshot());
        }

        @Test
        void unnamedAreaHasAnEmptyName() {
            assertEquals("", area.snapshot().name());
        }

        @Test
        void registrySnapshotIsOrderedById() throws ErrnoException {
            Area b = registry.open();
            Area c = registry.open();
            registry.release(b);
            assertEquals(List.of(area.id(), c.id()),
                    registry.snapshot().stream().map(AreaSnapshot::id).toList());
        }

        @Test
        void statsAddUpEveryArea() throws ErrnoException {
            area.setSize(10 * PAGE);
            mapWhole();
            Area small = registry.open();
            small.setSize(100);
            Area unmapped = registry.open();
            unmapped.setSize(5 * PAGE);
            small.map(PAGE, Prot.READ);
            area.unpin(0, 2 * PAGE);
            area.unpin(5 * PAGE, 3 * PAGE);
            small.unpin(0, 0);
            assertEquals(new RegistryStats(3, 2, 15 * PAGE + 100, 6, 0, 6), registry.stats());
            registry.purgeOldest(1, PurgeCause.ADMIN); // area's [0,1]
            assertEquals(new RegistryStats(3, 2, 15 * PAGE + 100, 6, 2, 4), registry.stats());
            assertEquals(2, registry.pagesPurgedTotal());
            registry.release(area);
            assertEquals(new RegistryStats(2, 1, 5 * PAGE + 100, 1, 0, 1), registry.stats());
        }
    }
}
