package org.ashmemd.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import org.ashmemd.text.Escape;

/**
 * {@code %eex} in logback.xml: a stack trace as logback prints it, with each exception's message
 * escaped ({@link Escape#text}). A message may quote what a client sent; the trace's own lines
 * stay lines, but no message can add one.
 */
public final class EscapedThrowableConverter extends ThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(IThrowableProxy tp) {
        return super.throwableProxyToString(tp == null ? null : new Escaped(tp));
    }

    /** The same throwable, its message (and its causes' and suppressed ones') escaped. */
    private static final class Escaped implements IThrowableProxy {
        private final IThrowableProxy t;

        Escaped(IThrowableProxy t) {
            this.t = t;
        }

        @Override
        public String getMessage() {
            return t.getMessage() == null ? null : Escape.text(t.getMessage());
        }

        @Override
        public String getOverridingMessage() {
            return t.getOverridingMessage() == null ? null : Escape.text(t.getOverridingMessage());
        }

        @Override
        public String getClassName() {
            return t.getClassName();
        }

        @Override
        public StackTraceElementProxy[] getStackTraceElementProxyArray() {
            return t.getStackTraceElementProxyArray();
        }

        @Override
        public int getCommonFrames() {
            return t.getCommonFrames();
        }

        @Override
        public IThrowableProxy getCause() {
            return t.getCause() == null ? null : new Escaped(t.getCause());
        }

        @Override
        public IThrowableProxy[] getSuppressed() {
            IThrowableProxy[] s = t.getSuppressed();
            if (s == null) {
                return null;
            }
            IThrowableProxy[] out = new IThrowableProxy[s.length];
            for (int i = 0; i < s.length; i++) {
                out[i] = new Escaped(s[i]);
            }
            return out;
        }

        @Override
        public boolean isCyclic() {
            return t.isCyclic();
        }
    }
}
