package org.ashmemd.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.ashmemd.posix.ErrnoException;
import org.junit.jupiter.api.Test;

class RegionLimitsTest {
    @Test
    void refusedOpensLeaveNoEntriesBehind() throws Exception {
        RegionLimits limits = new RegionLimits(new RegionLimits.Caps(1, 0, 0, 0));
        limits.admit(1000, "box");
        for (int i = 0; i < 10_000; i++) {
            // the same uid from ever new containers (cgroups a client may create): all refused
            int n = i;
            assertThrows(ErrnoException.class, () -> limits.admit(1000, "box-" + n));
        }
        assertEquals(2, limits.tracked(), "uid 1000 and container box only");
        assertEquals(10_000, limits.refused());
    }

    @Test
    void entriesGoWithTheirLastRegion() throws Exception {
        RegionLimits limits = new RegionLimits(RegionLimits.Caps.DEFAULT);
        for (int uid = 0; uid < 5_000; uid++) {
            limits.admit(uid, "c" + uid);
            limits.resized(uid, "c" + uid, 4096);
        }
        assertEquals(10_000, limits.tracked());
        for (int uid = 0; uid < 5_000; uid++) {
            limits.released(uid, "c" + uid, 4096);
        }
        assertEquals(0, limits.tracked());
    }
}
