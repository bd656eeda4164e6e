package org.ashmemd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class ConvertersTest {
    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({"10s,10000", "500ms,500", "5m,300000", "1h30m,5400000", "2d,172800000", "30,30000", "1.5s,1500",
        "0,0", "PT10S,10000", "pt1m,60000", " 3s ,3000"})
    void durations(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), DurationConverter.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10x", "", "s", "-5s", "5 s", "PT-5S", "1h-1m"})
    void badDurations(String text) {
        assertThrows(CommandLine.TypeConversionException.class, () -> new DurationConverter().convert(text));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({"4096,4096", "512K,524288", "1M,1048576", "1.5M,1572864", "2G,2147483648", "1MiB,1048576",
        "1mb,1048576", "3b,3", "0,0"})
    void sizes(String text, long bytes) {
        assertEquals(bytes, ByteSizeConverter.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "1X", "", "-1M", "M"})
    void badSizes(String text) {
        assertThrows(CommandLine.TypeConversionException.class, () -> new ByteSizeConverter().convert(text));
    }
}
