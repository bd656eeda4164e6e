package org.ashmemd.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.ashmemd.posix.IoctlNumber;
import org.junit.jupiter.api.Test;

/** The literal ioctl numbers agree with the generic Linux encoding of their declarations. */
class AshmemIoctlTest {
    private static final int T = AshmemIoctl.TYPE;

    @Test
    void ashmemNumbers() {
        assertEquals(IoctlNumber.iow(T, 1, org.ashmemd.ashmem.Area.NAME_LEN), AshmemIoctl.SET_NAME);
        assertEquals(IoctlNumber.ior(T, 2, org.ashmemd.ashmem.Area.NAME_LEN), AshmemIoctl.GET_NAME);
        assertEquals(IoctlNumber.iow(T, 3, 8), AshmemIoctl.SET_SIZE);
        assertEquals(IoctlNumber.io(T, 4), AshmemIoctl.GET_SIZE);
        assertEquals(IoctlNumber.iow(T, 5, 8), AshmemIoctl.SET_PROT_MASK);
        assertEquals(IoctlNumber.io(T, 6), AshmemIoctl.GET_PROT_MASK);
        assertEquals(IoctlNumber.iow(T, 7, 8), AshmemIoctl.PIN);
        assertEquals(IoctlNumber.iow(T, 8, 8), AshmemIoctl.UNPIN);
        assertEquals(IoctlNumber.io(T, 9), AshmemIoctl.GET_PIN_STATUS);
        assertEquals(IoctlNumber.io(T, 10), AshmemIoctl.PURGE_ALL_CACHES);
        assertEquals(IoctlNumber.ior(T, 11, 8), AshmemIoctl.GET_FILE_ID);
    }

    @Test
    void compatNumbersDifferOnlyInSize() {
        assertEquals(IoctlNumber.iow(T, 3, 4), AshmemIoctl.COMPAT_SET_SIZE);
        assertEquals(IoctlNumber.iow(T, 5, 4), AshmemIoctl.COMPAT_SET_PROT_MASK);
        assertEquals(IoctlNumber.ior(T, 11, 4), AshmemIoctl.COMPAT_GET_FILE_ID);
    }

    @Test
    void privateNumbersStayClearOfTheDriversRange() {
        assertEquals(IoctlNumber.io(T, 0xA0), AshmemIoctl.ASHMEMD_GET_TOKEN);
        assertEquals(IoctlNumber.iowr(T, 0xA1, AshmemIoctl.SEEK_STRUCT_SIZE), AshmemIoctl.ASHMEMD_SEEK);
        assertEquals(0xA0, IoctlNumber.nr(AshmemIoctl.ASHMEMD_GET_TOKEN));
    }
}
