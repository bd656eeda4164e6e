package org.ashmemd.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.BackingLease;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.ashmemd.sys.LibC;
import org.ashmemd.sys.Memfd;
import org.junit.jupiter.api.Test;

/** Real memfds of the host kernel (memfd_create needs no CUSE). */
class MemfdBackingTest {
    private static final int PAGE = 4096;

    private static Path fdPath(int fd) {
        return Path.of("/proc/self/fd/" + fd);
    }

    private static void write(int fd, long offset, byte[] data) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(fdPath(fd).toFile(), "rw")) {
            f.seek(offset);
            f.write(data);
        }
    }

    /** An area of one page, mapped read-write: its memfd exists. */
    private static Area mappedPage(AreaRegistry registry) throws ErrnoException {
        Area area = registry.open();
        area.setSize(PAGE);
        area.map(PAGE, Prot.READ | Prot.WRITE);
        return area;
    }

    @Test
    void namedLikeTheDriversFileAndSized() throws Exception {
        MemfdBacking b = MemfdBacking.create("dev/ashmem/cache".getBytes(StandardCharsets.US_ASCII), 12345, false);
        try {
            assertEquals("/memfd:dev/ashmem/cache (deleted)", Files.readSymbolicLink(fdPath(b.fd())).toString());
            assertEquals(12345, Files.size(fdPath(b.fd())));
            assertTrue(b.inode() > 0);
            int seals = Memfd.seals(b.fd());
            assertEquals(LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW, seals, "size is sealed, writes are not");
        } finally {
            b.close();
        }
    }

    @Test
    void longNamesAreCutToWhatMemfdAccepts() throws Exception {
        byte[] name = new byte[11 + 255];
        java.util.Arrays.fill(name, (byte) 'n');
        MemfdBacking b = MemfdBacking.create(name, PAGE, false);
        try {
            String link = Files.readSymbolicLink(fdPath(b.fd())).toString();
            assertEquals("/memfd:".length() + Memfd.MAX_NAME_BYTES + " (deleted)".length(), link.length());
        } finally {
            b.close();
        }
    }

    @Test
    void readIsPositionalAndPurgeReadsBackZero() throws Exception {
        MemfdBacking b = MemfdBacking.create("dev/ashmem/r".getBytes(StandardCharsets.US_ASCII), 3 * PAGE, false);
        try {
            byte[] data = new byte[3 * PAGE];
            java.util.Arrays.fill(data, (byte) 7);
            write(b.fd(), 0, data);
            ByteBuffer dst = ByteBuffer.allocateDirect(10);
            assertEquals(10, b.read(PAGE - 5, dst));
            assertEquals(10, dst.position());
            assertTrue(b.punchHole(PAGE, PAGE));
            dst.clear();
            b.read(PAGE, dst);
            dst.flip();
            byte[] got = new byte[10];
            dst.get(got);
            assertArrayEquals(new byte[10], got);
            dst.clear();
            assertEquals(10, b.read(0, dst));
            assertEquals(7, dst.get(0));
            ByteBuffer tail = ByteBuffer.allocateDirect(100);
            assertEquals(0, b.read(3 * PAGE, tail), "EOF at the size");
        } finally {
            b.close();
        }
    }

    @Test
    void seekFollowsTheBackingFile() throws Exception {
        MemfdBacking b = MemfdBacking.create("dev/ashmem/s".getBytes(StandardCharsets.US_ASCII), 4 * PAGE, false);
        try {
            write(b.fd(), 2 * PAGE, new byte[] {1});
            assertEquals(100, b.seek(0, 100, LibC.SEEK_SET));
            assertEquals(150, b.seek(100, 50, LibC.SEEK_CUR));
            assertEquals(4 * PAGE - 1, b.seek(0, -1, LibC.SEEK_END));
            assertEquals(2 * PAGE, b.seek(0, 0, LibC.SEEK_DATA));
            assertEquals(0, b.seek(0, 0, LibC.SEEK_HOLE));
            assertEquals(3 * PAGE, b.seek(0, 2 * PAGE, LibC.SEEK_HOLE));
            ErrnoException e = assertThrows(ErrnoException.class, () -> b.seek(0, 4 * PAGE, LibC.SEEK_DATA));
            assertEquals(Errno.ENXIO.number(), e.errno());
            e = assertThrows(ErrnoException.class, () -> b.seek(10, -11, LibC.SEEK_CUR));
            assertEquals(Errno.EINVAL.number(), e.errno());
            e = assertThrows(ErrnoException.class, () -> b.seek(0, -1, LibC.SEEK_SET));
            assertEquals(Errno.EINVAL.number(), e.errno());
            e = assertThrows(ErrnoException.class, () -> b.seek(0, 0, 5));
            assertEquals(Errno.EINVAL.number(), e.errno());
            e = assertThrows(ErrnoException.class, () -> b.seek(Long.MAX_VALUE, 1, LibC.SEEK_CUR));
            assertEquals(Errno.EINVAL.number(), e.errno());
        } finally {
            b.close();
        }
    }

    @Test
    void withoutWriteInTheMaskTheKernelRefusesWritableMappingsAndPurgeFails() throws Exception {
        MemfdBacking b = MemfdBacking.create("dev/ashmem/ro".getBytes(StandardCharsets.US_ASCII), PAGE, true);
        try {
            assertTrue(b.writesDenied());
            assertEquals(LibC.F_SEAL_FUTURE_WRITE, Memfd.seals(b.fd()) & LibC.F_SEAL_FUTURE_WRITE);
            assertFalse(b.punchHole(0, PAGE), "the seal forbids hole punching");
        } finally {
            b.close();
        }
    }

    @Test
    void losingProtWriteSealsLater() throws Exception {
        MemfdBacking b = MemfdBacking.create("dev/ashmem/later".getBytes(StandardCharsets.US_ASCII), PAGE, false);
        try {
            assertFalse(b.writesDenied());
            b.protMaskChanged(Prot.READ | Prot.WRITE);
            assertFalse(b.writesDenied(), "a mask with PROT_WRITE seals nothing");
            assertEquals(0, Memfd.seals(b.fd()) & LibC.F_SEAL_FUTURE_WRITE);
            b.protMaskChanged(Prot.READ);
            b.protMaskChanged(Prot.NONE); // idempotent
            assertTrue(b.writesDenied());
            assertEquals(LibC.F_SEAL_FUTURE_WRITE, Memfd.seals(b.fd()) & LibC.F_SEAL_FUTURE_WRITE);
        } finally {
            b.close();
        }
    }

    @Test
    void setProtMaskOnAMappedAreaSealsItsMemfd() throws Exception {
        AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
        Area area = mappedPage(registry);
        try (BackingLease lease = area.lease()) {
            assertEquals(0, Memfd.seals(lease.memory().fd()) & LibC.F_SEAL_FUTURE_WRITE);
            area.setProtMask(Prot.READ, false);
            assertEquals(LibC.F_SEAL_FUTURE_WRITE, Memfd.seals(lease.memory().fd()) & LibC.F_SEAL_FUTURE_WRITE);
        } finally {
            registry.release(area);
        }
    }

    @Test
    void residentBytesCountAllocatedPages() throws Exception {
        MemfdBacking b = MemfdBacking.create("dev/ashmem/rss".getBytes(StandardCharsets.US_ASCII), 4 * PAGE, false);
        try {
            assertEquals(0, b.residentBytes());
            write(b.fd(), PAGE, new byte[] {1});
            assertTrue(b.residentBytes() >= PAGE, Long.toString(b.residentBytes()));
            assertTrue(b.punchHole(0, 4 * PAGE));
            assertEquals(0, b.residentBytes());
        } finally {
            b.close();
        }
    }

    @Test
    void readOnlyReopenCannotWrite() throws Exception {
        MemfdBacking b = MemfdBacking.create("dev/ashmem/rdonly".getBytes(StandardCharsets.US_ASCII), PAGE, false);
        try {
            int ro = Memfd.reopenReadOnly(b.fd());
            try {
                assertEquals(Files.readSymbolicLink(fdPath(b.fd())), Files.readSymbolicLink(fdPath(ro)));
                ErrnoException e = assertThrows(ErrnoException.class, () -> Memfd.addSeals(ro, LibC.F_SEAL_WRITE));
                assertEquals(Errno.EPERM.number(), e.errno());
            } finally {
                Memfd.close(ro);
            }
        } finally {
            b.close();
        }
    }

    @Test
    void theModeBecomesOwnerOnlyBeforeTheFirstReadOnlyFdLeaves() throws Exception {
        MemfdBacking b = MemfdBacking.create("dev/ashmem/mode".getBytes(StandardCharsets.US_ASCII), PAGE, false);
        try {
            assertEquals(0777, mode(b.fd()), "as memfd_create makes it: only read-write fds have left");
            int ro = b.reopenReadOnly();
            try {
                // a holder of ro could otherwise reopen /proc/self/fd/<ro> read-write
                assertEquals(0600, mode(ro));
                assertEquals(0600, mode(b.fd()), "one file");
            } finally {
                Memfd.close(ro);
            }
            int again = b.reopenReadOnly();
            Memfd.close(again);
        } finally {
            b.close();
        }
    }

    private static int mode(int fd) throws Exception {
        return (Integer) Files.getAttribute(fdPath(fd), "unix:mode") & 07777;
    }

    @Test
    void theFdClosesWhenTheLastLeaseEnds() throws Exception {
        AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
        Area area = mappedPage(registry);
        BackingLease lease = area.lease();
        int fd = lease.memory().fd();
        registry.release(area); // the area is gone, the broker still sends
        assertTrue(Files.exists(fdPath(fd)));
        assertTrue(lease.memory().punchHole(0, PAGE), "still usable while a lease is held");
        lease.close();
        assertThrows(NoSuchFileException.class, () -> Files.readSymbolicLink(fdPath(fd)));
        ErrnoException e = assertThrows(ErrnoException.class, area::lease);
        assertEquals(Errno.EBADF.number(), e.errno(), "a released area cannot be leased again");
        e = assertThrows(ErrnoException.class, () -> area.read(ByteBuffer.allocateDirect(1)));
        assertEquals(Errno.EBADF.number(), e.errno());
        assertEquals(0, area.residentBytes());
    }
}
