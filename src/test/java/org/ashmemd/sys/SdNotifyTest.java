package org.ashmemd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The notification protocol against a real datagram socket standing in for systemd's. */
class SdNotifyTest {
    @TempDir
    Path dir;

    private static String receive(UnixDatagramChannel ch) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4096);
        ch.receive(b);
        b.flip();
        return StandardCharsets.UTF_8.decode(b).toString();
    }

    @Test
    void datagramsReachAPathSocket() throws Exception {
        Path sock = dir.resolve("notify");
        try (UnixDatagramChannel ch = UnixDatagramChannel.open()) {
            ch.bind(new UnixSocketAddress(sock.toFile()));
            SdNotify n = new SdNotify(sock.toString());
            assertTrue(n.enabled());
            assertTrue(n.notify("READY=1\nSTATUS=serving /dev/ashmem"));
            assertTrue(n.watchdogPing());
            assertEquals("READY=1\nSTATUS=serving /dev/ashmem", receive(ch));
            assertEquals("WATCHDOG=1", receive(ch));
        }
    }

    @Test
    void withoutNotifySocketNothingIsSent() {
        SdNotify n = new SdNotify(null);
        assertFalse(n.enabled());
        assertFalse(n.watchdogPing());
        assertFalse(new SdNotify("").notify("READY=1"));
        assertFalse(new SdNotify(dir.resolve("nobody-listens").toString()).notify("READY=1"));
    }

    @Test
    void watchdogIntervalFollowsSdWatchdogEnabled() {
        assertEquals(Optional.of(Duration.ofSeconds(30)),
                SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000"), 42));
        assertEquals(Optional.of(Duration.ofMillis(1500)),
                SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "1500000", "WATCHDOG_PID", "42"), 42));
        assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of(), 42));
        assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000",
                "WATCHDOG_PID", "41"), 42), "meant for another process (our parent or child)");
        assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "0"), 42));
        assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "-5"), 42));
        assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30s"), 42));
        assertEquals(Optional.empty(), SdNotify.watchdogInterval(Map.of("WATCHDOG_USEC", "30000000",
                "WATCHDOG_PID", "x"), 42));
    }
}
