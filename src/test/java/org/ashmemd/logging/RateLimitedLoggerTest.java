package org.ashmemd.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.ashmemd.cuse.LogCapture;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RateLimitedLoggerTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(5 * SECOND);

    private RateLimitedLogger limited() {
        return new RateLimitedLogger(LoggerFactory.getLogger(RateLimitedLoggerTest.class), 2, now::get);
    }

    @Test
    void linesBeyondTheBudgetAreSummarisedWithTheNextSecondsWarning() {
        try (LogCapture logs = LogCapture.of(RateLimitedLoggerTest.class, Level.WARN)) {
            RateLimitedLogger log = limited();
            for (int i = 0; i < 5; i++) {
                log.warn("bad {}", i);
            }
            now.addAndGet(SECOND);
            log.warn("bad {}", 9);
            assertEquals(List.of("bad 0", "bad 1", "3 similar warnings suppressed in the previous second", "bad 9"),
                    logs.messages(Level.WARN));
        }
    }

    @Test
    void aBurstFollowedBySilenceIsSummarisedByFlushOnceItsSecondIsOver() {
        try (LogCapture logs = LogCapture.of(RateLimitedLoggerTest.class, Level.WARN)) {
            RateLimitedLogger log = limited();
            for (int i = 0; i < 4; i++) {
                log.warn("bad {}", i);
            }
            log.flush();
            assertEquals(2, logs.messages(Level.WARN).size(), "the second is not over yet");
            now.addAndGet(SECOND + 1);
            log.flush();
            log.flush();
            now.addAndGet(SECOND);
            log.warn("bad {}", 9);
            assertEquals(List.of("bad 0", "bad 1", "2 similar warnings suppressed in the previous second", "bad 9"),
                    logs.messages(Level.WARN));
        }
    }

    @Test
    void flushWithNothingSuppressedWritesNothing() {
        try (LogCapture logs = LogCapture.of(RateLimitedLoggerTest.class, Level.WARN)) {
            RateLimitedLogger log = limited();
            log.warn("bad {}", 1);
            now.addAndGet(3 * SECOND);
            log.flush();
            assertEquals(List.of("bad 1"), logs.messages(Level.WARN));
        }
    }
}
