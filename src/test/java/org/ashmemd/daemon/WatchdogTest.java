package org.ashmemd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.ashmemd.cuse.LogCapture;
import org.ashmemd.cuse.transport.ReaderActivity;
import org.ashmemd.cuse.wire.Opcode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The watchdog's health rule, on a fake clock: pings stop only while a reader hangs inside one request. */
class WatchdogTest {
    private static final Duration INTERVAL = Duration.ofSeconds(30);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicInteger pings = new AtomicInteger();
    private final ReaderActivity readers = new ReaderActivity(new String[] {"cuse-reader-1", "cuse-reader-2"}, now::get);
    private final Watchdog watchdog = new Watchdog(INTERVAL, readers::longestBusy, () -> {
        pings.incrementAndGet();
        return true;
    });
    private LogCapture logs;

    @BeforeEach
    void capture() {
        logs = LogCapture.of(Watchdog.class, Level.INFO);
    }

    @AfterEach
    void restore() {
        logs.close();
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void pingsAtHalfTheInterval() {
        assertEquals(Duration.ofSeconds(15), watchdog.period());
    }

    @Test
    void idleReadersAreHealthyForever() {
        for (int i = 0; i < 10; i++) {
            assertTrue(watchdog.check());
            advance(Duration.ofMinutes(5)); // blocked in read(2) for minutes: waiting for work
        }
        assertEquals(10, pings.get());
    }

    @Test
    void aRequestShorterThanTheIntervalIsHealthy() {
        readers.begin(0, Opcode.IOCTL.number());
        advance(Duration.ofSeconds(29));
        assertTrue(watchdog.check());
        advance(Duration.ofSeconds(1));
        assertTrue(watchdog.check(), "exactly the interval is not yet longer than it");
        readers.end(0);
        assertTrue(watchdog.check());
        assertEquals(3, pings.get());
        assertTrue(logs.messages(Level.ERROR).isEmpty());
    }

    @Test
    void aReaderHungInsideOneRequestStopsThePingsUntilItReturns() {
        readers.begin(1, Opcode.IOCTL.number());
        advance(Duration.ofSeconds(10));
        readers.begin(0, Opcode.OPEN.number()); // the other reader keeps serving
        advance(Duration.ofSeconds(1));
        readers.end(0);
        assertTrue(watchdog.check());
        advance(Duration.ofSeconds(20)); // reader 2 now 31 s inside its IOCTL
        assertFalse(watchdog.check());
        advance(Duration.ofSeconds(15));
        assertFalse(watchdog.check());
        assertEquals(1, pings.get());
        assertEquals(1, logs.messages(Level.ERROR).size(), "said once, not every round");
        String said = logs.messages(Level.ERROR).get(0);
        assertTrue(said.startsWith("cuse-reader-2 has been inside one IOCTL request for 31.0 s, longer than the"
                + " watchdog interval of 30.0 s"), said);

        readers.end(1);
        assertTrue(watchdog.check());
        assertEquals(2, pings.get());
        assertEquals(1, logs.messages(Level.WARN).size());
    }

    @Test
    void theOldestBusyReaderCounts() {
        readers.begin(0, Opcode.READ.number());
        advance(Duration.ofSeconds(40));
        readers.begin(1, Opcode.IOCTL.number());
        ReaderActivity.Busy b = readers.longestBusy().orElseThrow();
        assertEquals("cuse-reader-1", b.reader());
        assertEquals("READ", b.request());
        assertEquals(TimeUnit.SECONDS.toNanos(40), b.nanos());
        assertFalse(watchdog.check());
    }

    @Test
    void aFailedPingIsReportedOnce() {
        AtomicInteger calls = new AtomicInteger();
        Watchdog w = new Watchdog(INTERVAL, readers::longestBusy, () -> {
            calls.incrementAndGet();
            return false;
        });
        assertFalse(w.check());
        assertFalse(w.check());
        assertEquals(2, calls.get(), "tried every round");
        assertEquals(1, logs.messages(Level.WARN).size());
    }
}
