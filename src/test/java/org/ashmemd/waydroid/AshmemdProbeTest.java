package org.ashmemd.waydroid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The up-check: device node and a broker socket that accepts connections. */
class AshmemdProbeTest {
    private WaydroidFixture fx;
    private WaydroidLayout layout;

    @BeforeEach
    void setUp() throws IOException {
        fx = WaydroidFixture.create(Files.createTempDirectory("probe"));
        layout = new WaydroidLayout(fx.root());
    }

    @AfterEach
    void tearDown() throws IOException {
        fx.close();
    }

    @Test
    void upWithAnyDeviceFileUnderATestRoot() {
        AshmemdProbe.Result r = AshmemdProbe.probe(layout);
        assertTrue(r.up(), r.detail());
        assertEquals(layout.device() + ", " + layout.brokerSocket(), r.detail());
    }

    @Test
    void characterDeviceShowsItsNumbers() throws Exception {
        Files.delete(layout.device());
        Process p = new ProcessBuilder("mknod", layout.device().toString(), "c", "1", "3").redirectErrorStream(true).start();
        assumeTrue(p.waitFor() == 0, "mknod is not allowed here");
        AshmemdProbe.Result r = AshmemdProbe.probe(layout);
        assertTrue(r.up(), r.detail());
        assertTrue(r.detail().startsWith(layout.device() + " (char 1:3), "), r.detail());
    }

    @Test
    void downWithoutTheDevice() throws IOException {
        Files.delete(layout.device());
        AshmemdProbe.Result r = AshmemdProbe.probe(layout);
        assertFalse(r.up());
        assertEquals(layout.device() + " is missing", r.detail());
    }

    @Test
    void downWithoutTheSocket() throws IOException {
        fx.stopBroker();
        Files.delete(layout.brokerSocket());
        AshmemdProbe.Result r = AshmemdProbe.probe(layout);
        assertFalse(r.up());
        assertTrue(r.detail().contains("the broker socket " + layout.brokerSocket() + " is missing"), r.detail());
    }

    @Test
    void downWithAStaleSocket() throws IOException {
        fx.stopBroker();
        AshmemdProbe.Result r = AshmemdProbe.probe(layout);
        assertFalse(r.up());
        assertTrue(r.detail().contains("does not accept connections"), r.detail());
    }

    @Test
    void aPlainFileIsNoSocket() throws IOException {
        fx.stopBroker();
        Files.delete(layout.brokerSocket());
        Files.writeString(layout.brokerSocket(), "");
        AshmemdProbe.Result r = AshmemdProbe.probe(layout);
        assertFalse(r.up());
        assertEquals(layout.brokerSocket() + " is not a socket", r.detail());
    }
}
