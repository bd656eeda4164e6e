package org.ashmemd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** An unknown --log-level is a usage error (64) with one line, for the daemon and for --hold alike. */
class LogLevelOptionTest {
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
}
