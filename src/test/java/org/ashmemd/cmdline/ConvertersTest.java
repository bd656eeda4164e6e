package org.ashmemd.cmdline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The option converters: the units' rule, and a bad value is a usage error. */
class ConvertersTest {
    @Test
    void convert() {
        assertEquals(1572864L, new SizeConverter().convert("1.5M"));
        assertEquals(Duration.ofSeconds(30), new DurationConverter().convert("30"));
    }

    @Test
    void badValuesAreUsageErrors() {
        assertEquals("'lots' is not a size (e.g. 4096, 512K, 1.5M, 16G)",
                assertThrows(CommandLine.TypeConversionException.class, () -> new SizeConverter().convert("lots"))
                        .getMessage());
        assertThrows(CommandLine.TypeConversionException.class, () -> new DurationConverter().convert("5 s"));
    }
}
