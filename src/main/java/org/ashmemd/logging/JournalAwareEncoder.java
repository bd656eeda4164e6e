package org.ashmemd.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Encodes log lines for stderr in the form its reader wants. On a terminal or in a file: the
 * {@code pattern}, with our own timestamps. When systemd has connected stderr to the journal
 * ({@code $JOURNAL_STREAM} names stderr's socket): the {@code journalPattern}, without
 * timestamps (the journal keeps its own), and every line, each line of a stack trace included,
 * starts with the syslog priority prefix ({@code <3>} error, {@code <4>} warning, {@code <6>}
 * info, {@code <7>} debug and trace), so journald files each line under the event's priority
 * instead of taking a continuation line for a new info message.
 */
public class JournalAwareEncoder extends EncoderBase<ILoggingEvent> {
    private String pattern;
    private String journalPattern;
    private Boolean journal;
    private PatternLayout layout;

    /** The layout on a terminal or in a file. */
    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    /** The layout for the journal; the priority prefix is added to each of its lines. */
    public void setJournalPattern(String journalPattern) {
        this.journalPattern = journalPattern;
    }

    /** Decides instead of {@code $JOURNAL_STREAM}: for tests, or to force either form. */
    public void setJournal(boolean journal) {
        this.journal = journal;
    }

    public boolean journal() {
        return journal != null && journal;
    }

    @Override
    public void start() {
        if (journal == null) {
            journal = stderrIsJournal(System.getenv("JOURNAL_STREAM"), Path.of("/proc/self/fd/2"));
        }
        String p = journal && journalPattern != null ? journalPattern : pattern;
        if (p == null) {
            addError("no pattern for " + getClass().getSimpleName());
            return;
        }
        layout = new PatternLayout();
        layout.setContext(getContext());
        layout.setPattern(p);
        layout.start();
        super.start();
    }

    @Override
    public void stop() {
        if (layout != null) {
            layout.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        String text = layout.doLayout(event);
        if (journal) {
            text = prefixLines(text, "<" + priority(event.getLevel()) + ">");
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The syslog priority of a level, as journald reads it from a {@code <N>} prefix. */
    static int priority(Level level) {
        switch (level.toInt()) {
            case Level.ERROR_INT:
                return 3;
            case Level.WARN_INT:
                return 4;
            case Level.INFO_INT:
                return 6;
            default:
                return 7;
        }
    }

    /** Puts {@code prefix} before every line; the newline that ends the text opens no new line. */
    static String prefixLines(String text, String prefix) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl + 1;
            b.append(prefix).append(text, start, end);
            start = end;
        }
        return b.toString();
    }

    /**
     * Whether stderr is the journal stream systemd set up: {@code $JOURNAL_STREAM} is
     * "DEVICE:INODE" of that socket, and a child whose stderr was redirected elsewhere inherits
     * the variable all the same, so it must match the file stderr really is.
     */
    static boolean stderrIsJournal(String journalStream, Path stderr) {
        if (journalStream == null || journalStream.isEmpty()) {
            return false;
        }
        int colon = journalStream.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        try {
            long dev = Long.parseUnsignedLong(journalStream.substring(0, colon));
            long ino = Long.parseUnsignedLong(journalStream.substring(colon + 1));
            return ((Number) Files.getAttribute(stderr, "unix:dev")).longValue() == dev
                    && ((Number) Files.getAttribute(stderr, "unix:ino")).longValue() == ino;
        } catch (NumberFormatException | IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
