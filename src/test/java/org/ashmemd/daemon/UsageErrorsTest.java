package org.ashmemd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Usage errors give 64 and one line, for the daemon and for --hold alike, before anything starts. */
class UsageErrorsTest {
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anUnknownLevelIsAUsageError(boolean hold) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int code;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            CommandLine cl = new CommandLine(new AshmemDaemon());
            code = hold ? cl.execute("--hold", "--log-level", "loud") : cl.execute("--log-level", "loud");
        } finally {
            System.setErr(saved);
        }
        String said = err.toString(StandardCharsets.UTF_8);
        assertEquals(64, code, said);
        assertEquals("ashmemd: unknown log level 'loud'\n", said, "one line, no stack trace");
    }

    @ParameterizedTest
    @ValueSource(strings = {"--major", "--minor"})
    void aHolderChecksTheDeviceNumberBeforeItStartsTheDaemon(String option) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AshmemDaemon());
        cl.setErr(new PrintWriter(err));
        assertEquals(64, cl.execute("--hold", option, "-5"));
        assertTrue(err.toString().startsWith("Invalid value for option '" + option + "': -5 is not a usable"),
                err.toString());
    }
}
