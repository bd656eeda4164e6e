package org.ashmemd.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalAwareEncoderTest {
    private static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0}: %msg%n";
    private static final String JOURNAL_PATTERN = "%-5level [%thread] %logger{0}: %msg%n";

    @TempDir
    Path dir;

    private final LoggerContext context = new LoggerContext();
    private final Logger logger = context.getLogger("org.ashmemd.daemon.Daemon");

    private JournalAwareEncoder encoder(boolean journal) {
        JournalAwareEncoder e = new JournalAwareEncoder();
        e.setContext(context);
        e.setPattern(PATTERN);
        e.setJournalPattern(JOURNAL_PATTERN);
        e.setJournal(journal);
        e.start();
        assertTrue(e.isStarted());
        return e;
    }

    private LoggingEvent event(Level level, String message, Throwable t) {
        LoggingEvent e = new LoggingEvent(Logger.class.getName(), logger, level, message, t, null);
        e.setThreadName("cuse-reader-1");
        return e;
    }

    private static String text(JournalAwareEncoder e, LoggingEvent ev) {
        return new String(e.encode(ev), StandardCharsets.UTF_8);
    }

    @Test
    void journalLinesCarryThePriorityAndNoTimestamp() {
        JournalAwareEncoder e = encoder(true);
        assertEquals("<3>ERROR [cuse-reader-1] Daemon: device gone\n", text(e, event(Level.ERROR, "device gone", null)));
        assertEquals("<4>WARN  [cuse-reader-1] Daemon: slow\n", text(e, event(Level.WARN, "slow", null)));
        assertEquals("<6>INFO  [cuse-reader-1] Daemon: ready\n", text(e, event(Level.INFO, "ready", null)));
        assertEquals("<7>DEBUG [cuse-reader-1] Daemon: rx 2\n", text(e, event(Level.DEBUG, "rx 2", null)));
        assertEquals("<7>TRACE [cuse-reader-1] Daemon: bytes\n", text(e, event(Level.TRACE, "bytes", null)));
    }

    @Test
    void everyLineOfAStackTraceCarriesTheEventsPriority() {
        JournalAwareEncoder e = encoder(true);
        Exception cause = new IllegalStateException("inner");
        Exception ex = new RuntimeException("outer", cause);
        String out = text(e, event(Level.ERROR, "CUSE reader died\nsecond line", ex));
        List<String> lines = out.lines().toList();
        assertTrue(lines.size() > 5, out);
        for (String l : lines) {
            assertTrue(l.startsWith("<3>"), "line without the prefix: '" + l + "' in\n" + out);
        }
        assertEquals("<3>ERROR [cuse-reader-1] Daemon: CUSE reader died", lines.get(0));
        assertEquals("<3>second line", lines.get(1));
        assertEquals("<3>java.lang.RuntimeException: outer", lines.get(2));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<3>\tat org.ashmemd.logging.")), out);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<3>Caused by: java.lang.IllegalStateException: inner")), out);
        assertTrue(out.endsWith("\n") && !out.endsWith("<3>\n") && !out.endsWith("\n\n"), out);
    }

    @Test
    void onATerminalLinesHaveTimestampsAndNoPrefix() {
        JournalAwareEncoder e = encoder(false);
        String out = text(e, event(Level.WARN, "slow", new RuntimeException("x")));
        List<String> lines = out.lines().toList();
        assertTrue(lines.get(0).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  \\[cuse-reader-1\\] Daemon: slow"), lines.get(0));
        assertEquals("java.lang.RuntimeException: x", lines.get(1));
        assertFalse(out.contains("<4>"), out);
    }

    @Test
    void prefixingKeepsEmptyLinesAndAddsNoTrailingLine() {
        assertEquals("<6>a\n<6>\n<6>b\n", JournalAwareEncoder.prefixLines("a\n\nb\n", "<6>"));
        assertEquals("<6>a", JournalAwareEncoder.prefixLines("a", "<6>"));
        assertEquals("", JournalAwareEncoder.prefixLines("", "<6>"));
    }

    @Test
    void journalStreamMustNameTheFileStderrIs() throws Exception {
        Path stderr = Files.createFile(dir.resolve("stderr"));
        long dev = ((Number) Files.getAttribute(stderr, "unix:dev")).longValue();
        long ino = ((Number) Files.getAttribute(stderr, "unix:ino")).longValue();
        assertTrue(JournalAwareEncoder.stderrIsJournal(dev + ":" + ino, stderr));
        assertFalse(JournalAwareEncoder.stderrIsJournal(dev + ":" + (ino + 1), stderr),
                "inherited by a process whose stderr goes elsewhere");
        assertFalse(JournalAwareEncoder.stderrIsJournal(null, stderr));
        assertFalse(JournalAwareEncoder.stderrIsJournal("", stderr));
        assertFalse(JournalAwareEncoder.stderrIsJournal("garbage", stderr));
        assertFalse(JournalAwareEncoder.stderrIsJournal("1:x", stderr));
        assertFalse(JournalAwareEncoder.stderrIsJournal(dev + ":" + ino, dir.resolve("missing")));
    }

    @Test
    void theShippedConfigurationUsesThisEncoder() throws Exception {
        String xml = new String(getClass().getResourceAsStream("/logback.xml").readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(xml.contains("<encoder class=\"" + JournalAwareEncoder.class.getName() + "\">"), xml);
        ch.qos.logback.classic.joran.JoranConfigurator c = new ch.qos.logback.classic.joran.JoranConfigurator();
        LoggerContext ctx = new LoggerContext();
        c.setContext(ctx);
        c.doConfigure(getClass().getResource("/logback.xml"));
        var appender = (ch.qos.logback.core.ConsoleAppender<?>) ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
        JournalAwareEncoder e = (JournalAwareEncoder) appender.getEncoder();
        assertTrue(e.isStarted());
        assertFalse(e.journal(), "the test's stderr is not a journal stream");
    }
}
