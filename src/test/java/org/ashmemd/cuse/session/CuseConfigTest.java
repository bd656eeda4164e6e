package org.ashmemd.cuse.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CuseConfigTest {

    @Test
    void limitsFollowThe32PageCap() {
        CuseConfig c = CuseConfig.dynamic("ashmem", 4096);
        assertEquals(131072, c.maxRead());
        assertEquals(131072, c.maxWrite());
        assertEquals(131072, c.maxIoctlBytes());
        assertEquals(256 * 1024, c.requestBufferSize());
        assertEquals(135168, c.replyBufferSize(), "16 + 16 + 128 KiB, rounded up to a page");
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 16384, 65536})
    void buffersHoldTheLargestFrames(int pageSize) {
        CuseConfig c = CuseConfig.dynamic("ashmem", pageSize);
        // the kernel refuses reads into less than max(8192, 40 + 40 + max_write)
        assertTrue(c.requestBufferSize() >= Math.max(8192, 80 + c.maxWrite()));
        assertTrue(c.requestBufferSize() >= 72 + 32 * pageSize, "an ioctl round with 32 pages of in data");
        assertTrue(c.replyBufferSize() >= 16 + c.maxRead());
        assertTrue(c.replyBufferSize() >= 32 + 32 * pageSize, "an ioctl reply with 32 pages of out data");
        assertTrue(c.replyBufferSize() >= 32 + 256 * 16, "a RETRY with 256 iovecs");
        assertTrue(c.replyBufferSize() >= CuseSession.MIN_REPLY_CAPACITY);
        assertEquals(0, c.requestBufferSize() % pageSize);
        assertEquals(0, c.replyBufferSize() % pageSize);
    }

    @Test
    void invalidSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CuseConfig.dynamic("ashmem", 1000));
        assertThrows(IllegalArgumentException.class, () -> CuseConfig.dynamic("ashmem", 2048));
        assertThrows(IllegalArgumentException.class, () -> CuseConfig.dynamic("ashmem", 6144));
        assertThrows(IllegalArgumentException.class, () -> CuseConfig.dynamic("ash mem", 4096));
        assertThrows(IllegalArgumentException.class, () -> new CuseConfig("ashmem", 512, 0, 4096));
        assertThrows(IllegalArgumentException.class, () -> new CuseConfig("ashmem", -1, 0, 4096));
        assertThrows(IllegalArgumentException.class, () -> new CuseConfig("ashmem", 0, 1 << 20, 4096));
        assertEquals(511, new CuseConfig("ashmem", 511, (1 << 20) - 1, 4096).devMajor());
    }
}
