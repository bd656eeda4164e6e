package org.ashmemd.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.PrintWriter;
import org.ashmemd.control.AdminProtocol;

/**
 * `--json` output of every command: the protocol's mapper, one document. Strings stay exact
 * (JSON carries the real text), but everything a terminal could act on is written as a
 * {@code \}{@code uNNNN} escape rather than raw: JSON itself escapes C0 controls, and here also
 * DEL, C1 controls (U+009B is CSI to some terminals), format characters such as bidi overrides,
 * and the line and paragraph separators. So {@code --json} output is safe to print as it is.
 */
final class JsonOutput {
    private static final ObjectWriter PRETTY = AdminProtocol.json().writerWithDefaultPrettyPrinter()
            .with(new TerminalSafeEscapes());
    private static final ObjectWriter COMPACT = AdminProtocol.json().writer().with(new TerminalSafeEscapes());

    private JsonOutput() {
    }

    static void print(PrintWriter out, Object value) throws JsonProcessingException {
        out.println(PRETTY.writeValueAsString(value));
    }

    /** One line: for output that is a stream of documents (top --json). */
    static void printLine(PrintWriter out, Object value) throws JsonProcessingException {
        out.println(COMPACT.writeValueAsString(value));
    }

    static final class TerminalSafeEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = standardAsciiEscapesForJSON();

        TerminalSafeEscapes() {
            ascii[0x7F] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            boolean escape = ch >= 0x80 && ch <= 0x9F;
            if (!escape && ch >= 0xA0) {
                int t = Character.getType(ch);
                escape = t == Character.FORMAT && ch != 0x200D || t == Character.LINE_SEPARATOR
                        || t == Character.PARAGRAPH_SEPARATOR;
            }
            return escape ? new SerializedString(String.format("\\u%04X", ch)) : null;
        }
    }
}
