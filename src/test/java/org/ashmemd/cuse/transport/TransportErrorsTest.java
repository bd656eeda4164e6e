package org.ashmemd.cuse.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.ashmemd.posix.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TransportErrorsTest {

    @ParameterizedTest
    @EnumSource(value = Errno.class, names = {"ENOENT", "ENODEV", "ENXIO"})
    void missingDriverSaysToLoadTheModule(Errno errno) {
        String m = CuseStartException.openFailureMessage("/dev/cuse", errno.number());
        assertTrue(m.contains("modprobe cuse"), m);
        assertTrue(m.startsWith("cannot open /dev/cuse"), m);
        assertFalse(m.contains("\n"));
    }

    @ParameterizedTest
    @EnumSource(value = Errno.class, names = {"EACCES", "EPERM"})
    void permissionDeniedSaysToRunAsRoot(Errno errno) {
        String m = CuseStartException.openFailureMessage("/dev/cuse", errno.number());
        assertTrue(m.contains("must run as root"), m);
        assertTrue(m.contains(errno.name()), m);
    }

    @Test
    void otherOpenErrorsNameTheErrno() {
        assertEquals("cannot open /dev/cuse: EBUSY", CuseStartException.openFailureMessage("/dev/cuse", 16));
        assertEquals("cannot open /dev/cuse: errno 200", CuseStartException.openFailureMessage("/dev/cuse", 200));
        assertEquals("cannot open /x: EMFILE", CuseStartException.openFailed("/x", 24).getMessage());
    }

    @Test
    void refusedDeviceNamesTheLikelyCause() {
        String dynamic = CuseStartException.refused("ashmem", 0, 0, false, List.of()).getMessage();
        assertTrue(dynamic.contains("'ashmem'") && dynamic.contains("name is taken"), dynamic);
        assertFalse(dynamic.contains("device number"), dynamic);
        String fixed = CuseStartException.refused("ashmem", 240, 3, false, List.of()).getMessage();
        assertTrue(fixed.startsWith("device number 240:3 for /dev/ashmem is taken or invalid:"), fixed);
        assertFalse(fixed.contains("\n"), fixed);
        String named = CuseStartException.refused("ashmem", 240, 3, true, List.of()).getMessage();
        assertTrue(named.contains("name is taken"), named);
    }

    @Test
    void procDevicesHoldersAreCharacterDevicesOnly() {
        String devices = "Character devices:\n  1 mem\n 10 misc\n121 ashmem\n254 gpiochip\n\n"
                + "Block devices:\n  7 loop\n121 blk\n";
        assertEquals(List.of("ashmem"), CuseStartException.charDeviceHolders(devices, 121));
        assertEquals(List.of("misc"), CuseStartException.charDeviceHolders(devices, 10));
        assertEquals(List.of(), CuseStartException.charDeviceHolders(devices, 7));
        assertEquals(List.of(), CuseStartException.charDeviceHolders("", 7));
    }

    @Test
    void readErrorsAreClassified() {
        assertEquals(ChannelErrors.ReadAction.RETRY, ChannelErrors.onRead(Errno.EINTR.number()));
        assertEquals(ChannelErrors.ReadAction.RETRY, ChannelErrors.onRead(Errno.EAGAIN.number()));
        assertEquals(ChannelErrors.ReadAction.GONE, ChannelErrors.onRead(Errno.ENODEV.number()));
        assertEquals(ChannelErrors.ReadAction.GONE, ChannelErrors.onRead(Errno.ECONNABORTED.number()));
        assertEquals(ChannelErrors.ReadAction.FATAL, ChannelErrors.onRead(Errno.EINVAL.number()));
        assertEquals(ChannelErrors.ReadAction.SKIP, ChannelErrors.onRead(Errno.EFAULT.number()));
        assertEquals(ChannelErrors.ReadAction.SKIP, ChannelErrors.onRead(Errno.EIO.number()));
        assertEquals(ChannelErrors.ReadAction.SKIP, ChannelErrors.onRead(300));
    }

    @Test
    void writeErrorsAreClassified() {
        assertEquals(ChannelErrors.WriteAction.RETRY, ChannelErrors.onWrite(Errno.EINTR.number()));
        assertEquals(ChannelErrors.WriteAction.STALE, ChannelErrors.onWrite(Errno.ENOENT.number()));
        assertEquals(ChannelErrors.WriteAction.FAILED, ChannelErrors.onWrite(Errno.EINVAL.number()));
        assertEquals(ChannelErrors.WriteAction.FAILED, ChannelErrors.onWrite(Errno.ENODEV.number()));
    }

    @Test
    void deviceNumbersAreParsedFromSysfs() {
        DeviceInfo info = DeviceInfo.parse("ashmem", "246:0\n");
        assertEquals(new DeviceInfo("ashmem", 246, 0), info);
        assertEquals("246:0", info.numbers());
        assertEquals(Path.of("/dev/ashmem"), info.devNode());
        assertEquals(Path.of("/dev/android/ashmem"), new DeviceInfo("android/ashmem", 1, 2).devNode());
        for (String bad : new String[]{"", "246", ":0", "246:", "a:b", "246:0:1"}) {
            assertThrows(IllegalArgumentException.class, () -> DeviceInfo.parse("ashmem", bad), bad);
        }
    }

    @Test
    void sysfsNamesUseBangForSlash() {
        assertEquals("android!ashmem", DeviceInfo.sysfsName("android/ashmem"));
        assertEquals("ashmem", DeviceInfo.sysfsName("ashmem"));
    }
}
