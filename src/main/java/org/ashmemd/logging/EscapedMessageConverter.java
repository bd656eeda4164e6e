package org.ashmemd.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import org.ashmemd.text.Escape;

/**
 * {@code %emsg} in logback.xml: the formatted message, escaped with {@link Escape#text}. Log
 * arguments carry names, {@code comm}, cgroup paths and errors that clients chose; escaping the
 * whole message here makes every log line one line with no control characters, wherever it was
 * logged from (one event, one line: nothing can forge a second journal entry).
 */
public final class EscapedMessageConverter extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return Escape.text(super.convert(event));
    }
}
