package org.ashmemd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.ashmemd.control.DaemonStatus;
import org.junit.jupiter.api.Test;

/** The status's restart line for each way a daemon can have started, and when the store misses something. */
class StatusRestartLineTest {
    private static DaemonStatus.Restart kept(String started, long unrecorded, long unparked) {
        return new DaemonStatus.Restart(true, started, 80, 0, 2, 31_600, 16 << 20, 2, 80, 0, unrecorded, unparked);
    }

    @Test
    void notKept() {
        assertEquals("restart  not kept (no --fd-store: a restart ends the device and its regions); started with a new"
                + " device", StatusCommand.restart(DaemonStatus.Restart.notKept(DaemonStatus.Restart.NEW_DEVICE)));
    }

    @Test
    void aNewDeviceHasNothingResumed() {
        assertEquals("restart  kept: state 2, 30.9K of 16.0M; memory carrier 2 holds 80 memfds (0 released); started"
                + " with a new device", StatusCommand.restart(kept(DaemonStatus.Restart.NEW_DEVICE, 0, 0)));
    }

    @Test
    void whatTheStoreMissesGetsALineOfItsOwn() {
        assertEquals("restart  kept: state 2, 30.9K of 16.0M; memory carrier 2 holds 80 memfds (0 released); started"
                + " by a planned restart: 80 regions resumed, 0 lost\n"
                + "         NOT KEPT: 5 changes unrecorded, 1 regions' memory unparked (the log says why)",
                StatusCommand.restart(kept(DaemonStatus.Restart.PLANNED_RESTART, 5, 1)));
    }

    @Test
    void aStartThisVersionDoesNotKnowIsEscaped() {
        assertEquals("restart  kept: state 2, 30.9K of 16.0M; memory carrier 2 holds 80 memfds (0 released); started:"
                + " \\x1b]0;x\\x07: 80 regions resumed, 0 lost", StatusCommand.restart(kept("\u001b]0;x\u0007", 0, 0)));
        assertEquals("restart  kept: state 2, 30.9K of 16.0M; memory carrier 2 holds 80 memfds (0 released); started:"
                + " : 80 regions resumed, 0 lost", StatusCommand.restart(kept(null, 0, 0)));
    }
}
