package org.ashmemd.sys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SystemInfoTest {
    @Test
    void pageSizeIsAPowerOfTwo() {
        int page = SystemInfo.pageSize();
        assertTrue(page >= 4096 && Integer.bitCount(page) == 1, "page size " + page);
    }
}
