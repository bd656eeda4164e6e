package org.ashmemd.procscan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AshmemClassifierTest {
    private final AshmemClassifier c = new AshmemClassifier("ashmem", new DeviceNumber(234, 0));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        "/memfd:dev/ashmem/fixture-region (deleted)|ASHMEMD|fixture-region",
        "/memfd:dev/ashmem (deleted)|ASHMEMD|",
        "/memfd:dev/ashmem/name with spaces (deleted)|ASHMEMD|name with spaces",
        "/memfd:dev/ashmem/a/b (deleted)|ASHMEMD|a/b",
        "/memfd:fixture-cutils (deleted)|MEMFD|fixture-cutils",
        "/memfd:dev/ashmemfoo (deleted)|MEMFD|dev/ashmemfoo",
        "/memfd:pulseaudio (deleted)|MEMFD|pulseaudio",
        "/dev/ashmem/fixture-kernel (deleted)|KERNEL|fixture-kernel",
        "/dev/ashmem/dalvik-main space (region space) (deleted)|KERNEL|dalvik-main space (region space)",
        "/dev/ashmem (deleted)|KERNEL|",
        "/dev/ashmemd.sock|-|-",
        "/dev/shm/foo (deleted)|-|-",
        "/usr/lib/libc.so.6|-|-",
        "[heap]|-|-",
        "|-|-",
    })
    void mappings(String path, AshmemKind kind, String name) {
        String p = path == null ? "" : path;
        assertEquals(kind, c.ofPath(p));
        if (kind != null) {
            assertEquals(name == null ? "" : name, AshmemClassifier.regionName(p));
        }
    }

    @Test
    void realFixtureLinesAreSortedIntoKinds() throws Exception {
        long ashmemd = MapsParser.parse(ProcFixtures.procFile(ProcFixtures.pid("mapper"), "maps"),
                e -> c.ofPath(e.path()) == AshmemKind.ASHMEMD).size();
        long memfd = MapsParser.parse(ProcFixtures.procFile(ProcFixtures.pid("mapper"), "maps"),
                e -> c.ofPath(e.path()) == AshmemKind.MEMFD).size();
        long kernel = MapsParser.parse(ProcFixtures.procFile(ProcFixtures.pid("mapper"), "maps"),
                e -> c.ofPath(e.path()) == AshmemKind.KERNEL).size();
        assertEquals(3, ashmemd);
        assertEquals(2, memfd);
        assertEquals(2, kernel);
    }

    @Test
    void deviceFdLinks() {
        assertTrue(c.maybeDevice("/dev/ashmem"));
        assertTrue(c.maybeDevice("/dev/ashmem0b6a3c1e-93f4-4c39-a1a0-6f2a3b8c9d7e"), "libcutils' boot id alias");
        assertTrue(c.maybeDevice("/dev/ashmem (deleted)"), "a node removed while open");
        assertFalse(c.maybeDevice("/dev/ashmem-foo"));
        assertFalse(c.maybeDevice("/dev/ashmem/foo (deleted)"));
        assertFalse(c.maybeDevice("/memfd:dev/ashmem (deleted)"));
        assertFalse(c.maybeDevice("/dev/null"));
        assertFalse(c.maybeDevice("socket:[1234]"));
        AshmemClassifier renamed = new AshmemClassifier("ashmem-test", null);
        assertTrue(renamed.maybeDevice("/dev/ashmem-test"));
        assertFalse(renamed.maybeDevice("/dev/ashmem"));
    }

    @Test
    void deviceNumbersDecideWhoseDeviceItIs() {
        assertEquals(AshmemKind.ASHMEMD, c.ofDevice(new DeviceNumber(234, 0)));
        assertEquals(AshmemKind.KERNEL, c.ofDevice(new DeviceNumber(DeviceNumber.MISC_MAJOR, 56)));
        assertEquals(AshmemKind.KERNEL, new AshmemClassifier("ashmem", null).ofDevice(new DeviceNumber(234, 0)),
                "no ashmemd device: the driver's");
    }

    @Test
    void deviceNumbers() {
        assertEquals(new DeviceNumber(10, 56), DeviceNumber.parse("10:56\n"));
        assertEquals(new DeviceNumber(1, 3), DeviceNumber.fromRdev(0x103));
        // glibc's makedev: the low 8 bits of minor, 12 of major, then the rest of each
        for (DeviceNumber d : new DeviceNumber[] {new DeviceNumber(10, 56), new DeviceNumber(234, 0),
            new DeviceNumber(0x1123, 0x12345), new DeviceNumber(511, 0xfffff)}) {
            long rdev = (d.minor() & 0xffL) | ((d.major() & 0xfffL) << 8) | ((d.minor() & ~0xffL) << 12)
                    | ((d.major() & ~0xfffL) << 32);
            assertEquals(d, DeviceNumber.fromRdev(rdev));
        }
        assertEquals("234:0", new DeviceNumber(234, 0).toString());
        assertThrows(IllegalArgumentException.class, () -> DeviceNumber.parse("nope"));
        Path sys = ProcFixtures.resource("host/sys");
        assertEquals(new DeviceNumber(1, 3), DeviceNumber.ofCuseDevice(sys, "ashmem").orElseThrow());
        assertTrue(DeviceNumber.ofCuseDevice(sys, "other").isEmpty());
    }

    @Test
    void kindLabels() {
        assertEquals("ashmemd", AshmemKind.ASHMEMD.label());
        assertEquals(AshmemKind.KERNEL, AshmemKind.parse("Kernel"));
        assertThrows(IllegalArgumentException.class, () -> AshmemKind.parse("sysv"));
    }
}
