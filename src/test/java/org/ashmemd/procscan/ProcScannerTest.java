package org.ashmemd.procscan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ashmemd.sys.Memfd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The scanner over the fixture tree (real /proc files of this machine), and over the live /proc. */
class ProcScannerTest {
    private static final long K = 1024;

    private Path dir;
    private ProcFixtures.Tree tree;
    private ProcIo io;

    @BeforeEach
    void copyTree() throws IOException {
        dir = Files.createTempDirectory("procscan");
        tree = ProcFixtures.host(dir);
        io = ProcFixtures.io(tree);
    }

    @AfterEach
    void removeTree() throws IOException {
        ProcFixtures.delete(dir);
    }

    private ProcScanner scanner(Path sys) {
        return new ProcScanner(tree.proc(), new AshmemClassifier("ashmem",
                DeviceNumber.ofCuseDevice(sys, "ashmem").orElse(null)), io);
    }

    private long inode(String path) throws IOException {
        return MapsParser.parse(ProcFixtures.procFile(tree.mapper(), "maps"), e -> e.path().equals(path)).get(0).inode();
    }

    private long fdInode(int pid, String target) throws IOException {
        for (ProcFixtures.Link l : ProcFixtures.links(ProcFixtures.resource("host/proc/" + pid + "/fd.links"))) {
            if (l.target().equals(target)) {
                for (String line : ProcFixtures.procFile(pid, "fdinfo/" + l.fd()).split("\n")) {
                    if (line.startsWith("ino:")) {
                        return Long.parseLong(line.substring(4).trim());
                    }
                }
            }
        }
        throw new AssertionError("no fd to " + target);
    }

    private static ProcessFootprint process(ScanResult r, int pid) {
        return r.processes().stream().filter(p -> p.pid() == pid).findFirst()
                .orElseThrow(() -> new AssertionError("pid " + pid + " not found in " + r.processes()));
    }

    @Test
    void everyKindOfTheMapper() throws Exception {
        ScanResult r = scanner(tree.sys()).scan();
        ProcessFootprint m = process(r, tree.mapper());
        assertEquals("memfd-fixture", m.comm());
        assertEquals(0, m.uid());
        assertEquals("waydroid2", m.container());
        assertEquals("/lxc.payload.waydroid2/uid_10061/pid_2417", m.cgroup());
        assertFalse(m.servesCuse());
        // /dev/ashmem/fixture-kernel (128K, all touched) and /dev/ashmem (4K)
        assertEquals(new Usage(132 * K, 132 * K, 132 * K, 0, 0, 2, 0), m.usage(AshmemKind.KERNEL));
        // fixture-cutils mapped twice (256K each, 128K touched once), one fd
        assertEquals(new Usage(512 * K, 128 * K, 128 * K, 0, 0, 2, 1), m.usage(AshmemKind.MEMFD));
        // fixture-region (1M, 256K touched), unnamed (8K), "name with spaces" (4K); fds to three
        // memfds and to the device, which sysfs says is ashmemd's
        assertEquals(new Usage(1036 * K, 264 * K, 264 * K, 0, 0, 3, 4), m.usage(AshmemKind.ASHMEMD));
        assertEquals(new Usage(1680 * K, 524 * K, 524 * K, 0, 0, 7, 5), m.total());
    }

    @Test
    void regionsOfTheMapper() throws Exception {
        ProcessFootprint m = process(scanner(tree.sys()).scan(), tree.mapper());
        Map<String, RegionUse> byName = new java.util.HashMap<>();
        m.regions().forEach(r -> byName.put(r.kind().label() + ":" + r.name(), r));
        assertEquals(Set.of("kernel:fixture-kernel", "kernel:", "memfd:fixture-cutils", "ashmemd:fixture-region",
                "ashmemd:", "ashmemd:name with spaces", "ashmemd:held-unmapped"), byName.keySet());
        RegionUse region = byName.get("ashmemd:fixture-region");
        assertEquals(inode("/memfd:dev/ashmem/fixture-region (deleted)"), region.inode());
        assertEquals(1, region.usage().mappings());
        assertEquals(0, region.usage().fds(), "the mapper closed that fd after mapping");
        RegionUse unnamed = byName.get("ashmemd:");
        assertEquals(1, unnamed.usage().mappings());
        assertEquals(1, unnamed.usage().fds(), "the mapping and the fd are one region: same inode");
        RegionUse held = byName.get("ashmemd:held-unmapped");
        assertEquals(0, held.usage().mappings());
        assertEquals(1, held.usage().fds());
        assertEquals(fdInode(tree.mapper(), "/memfd:dev/ashmem/held-unmapped (deleted)"), held.inode(),
                "stat refused: the inode came from fdinfo");
        RegionUse cutils = byName.get("memfd:fixture-cutils");
        assertEquals(2, cutils.usage().mappings());
        assertEquals(1, cutils.usage().fds());
    }

    @Test
    void theHolderOnlyHoldsAndTheSleeperIsLeftOut() throws Exception {
        ScanResult r = scanner(tree.sys()).scan();
        ProcessFootprint h = process(r, tree.holder());
        assertEquals("ashmemd.service", h.container());
        assertEquals(Map.of(AshmemKind.ASHMEMD, new Usage(0, 0, 0, 0, 0, 0, 4)), h.kinds());
        assertEquals(4, h.regions().size());
        assertEquals(2, r.processes().size());
        assertEquals(new ScanStats(3, 2, 1, 0, 0, r.stats().elapsedNanos()), r.stats(),
                "only the mapper's smaps was read (the sleeper has none in the fixture)");
    }

    @Test
    void withoutAshmemdTheDeviceFdIsTheDrivers() throws Exception {
        ProcessFootprint m = process(scanner(tree.noSys()).scan(), tree.mapper());
        assertEquals(1, m.usage(AshmemKind.KERNEL).fds());
        assertEquals(3, m.usage(AshmemKind.ASHMEMD).fds());
    }

    @Test
    void onlyTheKindsAskedFor() throws Exception {
        ScanResult r = scanner(tree.noSys()).scan(EnumSet.of(AshmemKind.KERNEL));
        assertEquals(1, r.processes().size());
        ProcessFootprint m = r.processes().get(0);
        assertEquals(Set.of(AshmemKind.KERNEL), m.kinds().keySet());
        assertEquals(new Usage(132 * K, 132 * K, 132 * K, 0, 0, 2, 1), m.total());
        assertTrue(m.regions().stream().allMatch(x -> x.kind() == AshmemKind.KERNEL));
        assertEquals(0, scanner(tree.sys()).scan(EnumSet.of(AshmemKind.MEMFD)).processes().stream()
                .filter(p -> p.pid() == tree.holder()).count());
    }

    @Test
    void realFileOperationsOnTheTree() throws Exception {
        // no stand-in for stat: the links point nowhere, memfd inodes come from fdinfo, the device is not seen
        ScanResult r = ProcScanner.rooted(tree.proc(), tree.sys(), "ashmem").scan();
        ProcessFootprint m = process(r, tree.mapper());
        assertEquals(3, m.usage(AshmemKind.ASHMEMD).fds());
        assertEquals(0, m.usage(AshmemKind.KERNEL).fds());
        assertEquals(264 * K, m.usage(AshmemKind.ASHMEMD).rssBytes());
    }

    @Test
    void mappersOfOneRegion() throws Exception {
        ProcScanner s = scanner(tree.sys());
        List<RegionMapper> region = s.mappersOf(inode("/memfd:dev/ashmem/fixture-region (deleted)"));
        assertEquals(List.of(new RegionMapper(tree.mapper(), "memfd-fixture", "waydroid2", 1, 1024 * K, 256 * K,
                256 * K, 0)), region);
        List<RegionMapper> cutils = s.mappersOf(inode("/memfd:fixture-cutils (deleted)"));
        assertEquals(1, cutils.size());
        assertEquals(2, cutils.get(0).mappings());
        assertEquals(512 * K, cutils.get(0).sizeBytes());
        assertEquals(List.of(), s.mappersOf(fdInode(tree.holder(), "/memfd:dev/ashmem/held-unmapped (deleted)")));
    }

    @Test
    void holdersOfOneRegion() throws Exception {
        ProcScanner s = scanner(tree.sys());
        long region = inode("/memfd:dev/ashmem/fixture-region (deleted)");
        assertEquals(List.of(new FdHolder(tree.holder(), "memfd-fixture", "ashmemd.service", 1, false)),
                s.holdersOf(region));
        long held = fdInode(tree.holder(), "/memfd:dev/ashmem/held-unmapped (deleted)");
        assertEquals(List.of(tree.mapper(), tree.holder()), s.holdersOf(held).stream().map(FdHolder::pid).toList());
        assertEquals(List.of(), s.holdersOf(inode("/dev/ashmem/fixture-kernel (deleted)")));
    }

    @Test
    void processInfo() {
        ProcScanner s = scanner(tree.sys());
        ProcessInfo m = s.processInfo(tree.mapper()).orElseThrow();
        assertEquals(new ProcessInfo(tree.mapper(), "memfd-fixture", 0, "/lxc.payload.waydroid2/uid_10061/pid_2417",
                "waydroid2"), m);
        assertEquals("", s.processInfo(tree.sleeper()).orElseThrow().container());
        assertTrue(s.processInfo(1).isEmpty());
    }

    @Test
    void processesThatVanishOrAreForbiddenAreCountedAndSkipped() throws Exception {
        Files.createDirectories(tree.proc().resolve("99999")); // listed, then gone
        ProcIo forbidding = new ProcIo() {
            @Override
            public byte[] readBytes(Path file) throws IOException {
                if (file.startsWith(tree.proc().resolve(Integer.toString(tree.holder())))) {
                    throw new AccessDeniedException(file.toString());
                }
                return io.readBytes(file);
            }

            @Override
            public String readLink(Path link) throws IOException {
                return io.readLink(link);
            }

            @Override
            public List<String> list(Path d) throws IOException {
                return io.list(d);
            }

            @Override
            public FileStat stat(Path file) throws IOException {
                return io.stat(file);
            }
        };
        ScanResult r = new ProcScanner(tree.proc(), new AshmemClassifier("ashmem", null), forbidding).scan();
        assertEquals(List.of(tree.mapper()), r.processes().stream().map(ProcessFootprint::pid).toList());
        assertEquals(4, r.stats().processes());
        assertEquals(1, r.stats().vanished());
        assertEquals(1, r.stats().denied());
    }

    @Test
    void noProcfsAtAll() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThrows(ProcUnavailableException.class,
                () -> new ProcScanner(empty, new AshmemClassifier("ashmem", null)).scan());
        assertThrows(ProcUnavailableException.class,
                () -> new ProcScanner(dir.resolve("missing"), new AshmemClassifier("ashmem", null)).scan());
    }

    @Test
    void containerTotalsAndOrder() throws Exception {
        ScanResult r = scanner(tree.sys()).scan();
        List<ContainerFootprint> cs = r.containers(SortKey.PSS);
        assertEquals(List.of("waydroid2", "ashmemd.service"), cs.stream().map(ContainerFootprint::container).toList());
        assertEquals(1, cs.get(0).processes());
        assertEquals(4, cs.get(1).total().fds());
        assertEquals(List.of(tree.mapper(), tree.holder()),
                r.sorted(SortKey.SWAP).stream().map(ProcessFootprint::pid).toList(), "ties: larger size first");
    }

    /** This JVM maps a memfd named like ashmemd's regions: the live /proc must show it. */
    @Nested
    class Live {
        @Test
        void ownMemfdIsFoundMappedAndHeld() throws Exception {
            String name = "dev/ashmem/procscan-live-" + ProcessHandle.current().pid();
            int fd = Memfd.create(name.getBytes(StandardCharsets.US_ASCII), 64 * K);
            try (FileChannel ch = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 64 * K);
                for (int i = 0; i < 4; i++) {
                    map.put(i * 4096, (byte) 1);
                }
                long inode = Memfd.inode(fd);
                int me = (int) ProcessHandle.current().pid();
                ProcScanner s = ProcScanner.system("ashmem");
                ProcessFootprint p = process(s.scan(), me);
                RegionUse r = p.regions().stream().filter(x -> x.inode() == inode).findFirst().orElseThrow();
                assertEquals(AshmemKind.ASHMEMD, r.kind());
                assertEquals(name.substring("dev/ashmem/".length()), r.name());
                assertEquals(1, r.usage().mappings());
                assertEquals(64 * K, r.usage().sizeBytes());
                assertEquals(16 * K, r.usage().rssBytes());
                assertTrue(r.usage().fds() >= 1);
                assertEquals(64 * K, r.fileSizeBytes());
                List<RegionMapper> mappers = s.mappersOf(inode);
                assertEquals(List.of(me), mappers.stream().map(RegionMapper::pid).toList());
                assertEquals(16 * K, mappers.get(0).rssBytes());
                assertTrue(s.holdersOf(inode).stream().anyMatch(h -> h.pid() == me));
                map.force();
            } finally {
                Memfd.close(fd);
            }
        }
    }
}
