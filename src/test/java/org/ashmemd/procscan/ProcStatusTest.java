package org.ashmemd.procscan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcStatusTest {
    @Test
    void realStatusFile() throws Exception {
        int mapper = ProcFixtures.pid("mapper");
        ProcStatus s = ProcStatus.parse(ProcFixtures.procFile(mapper, "status"));
        assertEquals("memfd-fixture", s.name());
        assertEquals(mapper, s.tgid());
        assertEquals(mapper, s.pid());
        assertEquals(0, s.uid());
        assertEquals(List.of(0, 0, 0, 0), s.uids());
        assertEquals(List.of(mapper), s.nsPids());
        assertEquals(1, s.threads());
        assertEquals('R', s.state());
        assertEquals(s.bytes("RssShmem") > 0, true, "its shared memory is resident");
        assertEquals("0", s.field("TracerPid"));
    }

    @Test
    void sleeperAndContainerPids() throws Exception {
        ProcStatus s = ProcStatus.parse(ProcFixtures.procFile(ProcFixtures.pid("sleeper"), "status"));
        assertEquals("sleep", s.name());
        assertEquals('S', s.state());
        ProcStatus inContainer = ProcStatus.parse("Name:\tsurfaceflinger\nTgid:\t4242\nPid:\t4242\nPPid:\t4100\n"
                + "Uid:\t1000\t1000\t1000\t1000\nNSpid:\t4242\t311\nVmRSS:\t  2048 kB\n");
        assertEquals(List.of(4242, 311), inContainer.nsPids());
        assertEquals(1000, inContainer.uid());
        assertEquals(2048L * 1024, inContainer.bytes("VmRSS"));
        assertEquals(-1, inContainer.bytes("VmSwap"));
        assertEquals(-1, inContainer.threads());
    }
}
