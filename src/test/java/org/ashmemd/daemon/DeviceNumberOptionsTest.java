package org.ashmemd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.pressure.PressureConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** --major / --minor: parsed, range-checked as usage errors before anything starts. */
class DeviceNumberOptionsTest {

    private static String[] run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AshmemDaemon());
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), err.toString()};
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "--major|0|--major: 0 is not a usable major; the kernel takes a static major from 1 to 511",
        "--major|512|--major: 512 is not a usable major",
        "--major|-3|--major: -3 is not a usable major",
        "--minor|1048576|--minor: 1048576 is not a usable minor; minors are 0 to 1048575",
        "--minor|-1|--minor: -1 is not a usable minor",
    })
    void outOfRangeNumbersAreUsageErrors(String option, String value, String message) {
        String[] r = run(option, value);
        assertEquals("64", r[0]);
        assertTrue(r[1].startsWith("Invalid value for option '" + message.replaceFirst(": ", "': ")), r[1]);
        assertTrue(r[1].contains("Usage: ashmemd"), "picocli's usage follows: " + r[1]);
    }

    @Test
    void nonNumbersAreUsageErrors() {
        String[] r = run("--major", "12a");
        assertEquals("64", r[0]);
        assertTrue(r[1].contains("'--major'") && r[1].contains("12a"), r[1]);
    }

    @Test
    void defaultIsDynamicAndTheUnitsNumberParses() {
        AshmemDaemon d = new AshmemDaemon();
        new CommandLine(d).parseArgs();
        assertNull(d.major);
        assertEquals(0, d.minor);
        d = new AshmemDaemon();
        new CommandLine(d).parseArgs("--major", "121", "--minor", "0");
        assertEquals(121, d.major);
        assertEquals(0, d.minor);
    }

    @Test
    void configCarriesTheNumbersAndChecksThemToo() {
        DaemonConfig c = config(121, 0);
        assertEquals(121, c.devMajor());
        assertEquals(0, c.devMinor());
        assertEquals(0, config(0, 5).devMajor(), "0 is dynamic");
        assertThrows(IllegalArgumentException.class, () -> config(512, 0));
        assertThrows(IllegalArgumentException.class, () -> config(121, 1 << 20));
    }

    private static DaemonConfig config(int major, int minor) {
        return new DaemonConfig("ashmem", java.nio.file.Path.of("/run/ashmemd"), 0666, 4, "rw-rw-rw-", true, null,
                new RegionLimits.Caps(0, 0, 0, 0), null, PressureConfig.fromOptions("off", 0), major, minor,
                DaemonConfig.DEFAULT_TOKEN_LIFETIME, false);
    }
}
