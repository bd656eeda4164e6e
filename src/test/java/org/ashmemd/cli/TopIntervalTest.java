package org.ashmemd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** top --interval reads a DURATION as every other option does; a bare number stays seconds. */
class TopIntervalTest {
    @ParameterizedTest
    @CsvSource({"2s,2000", "500ms,500", "2,2000", "1.5,1500", "1m,60000"})
    void readsDurations(String given, long millis) {
        TopCommand top = new TopCommand();
        new CommandLine(top).parseArgs("--interval", given);
        assertEquals(Duration.ofMillis(millis), top.interval);
    }

    @Test
    void defaultIsTwoSecondsAndNonsenseIsAUsageError() {
        TopCommand top = new TopCommand();
        new CommandLine(top).parseArgs();
        assertEquals(Duration.ofSeconds(2), top.interval);
        StringWriter err = new StringWriter();
        CommandLine cl = ExitCodes.install(new CommandLine(new TopCommand()));
        cl.setErr(new PrintWriter(err));
        assertEquals(64, cl.execute("--interval", "soon"), err.toString());
    }
}
