package org.ashmemd.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The one rule for sizes and durations, as every option of both programs reads them. */
class UnitsTest {
    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({"10s,10000000000", "500ms,500000000", "5m,300000000000", "1h30m,5400000000000",
        "2d,172800000000000", "30,30000000000", "1.5s,1500000000", "0,0", "PT10S,10000000000", "pt1m,60000000000",
        "' 3s ',3000000000", "150us,150000", "150µs,150000", "70000us,70000000", "1.5ms,1500000", "250ns,250",
        "1m30s,90000000000", "0.5,500000000"})
    void durations(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), Durations.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10x", "", "s", "-5s", "5 s", "PT-5S", "1h-1m", "1.5ns", "ms5", "9999999999d"})
    void badDurations(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertTrue(e.getMessage().startsWith("'" + text + "' is "), e.getMessage());
    }

    @Test
    void aBadDurationSaysTheForms() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Durations.parse("10x")).getMessage()
                .contains("a bare number is seconds"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({"4096,4096", "512K,524288", "1M,1048576", "1.5M,1572864", "2G,2147483648", "1MiB,1048576",
        "1mb,1048576", "3b,3", "0,0", "16G,17179869184", "64 M,67108864", "1KB,1024", "1k,1024", "1T,1099511627776",
        "0.5K,512", "1.0001K,1024", "7E,8070450532247928832"})
    void sizes(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "1X", "", "-1M", "M", "1.5.5M", "8E", "1 K B"})
    void badSizes(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().startsWith("'" + text + "' is "), e.getMessage());
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({"0,0", "1023,1023", "1024,1.0K", "1572864,1.5M", "17179869184,16.0G"})
    void sizesForPeople(long bytes, String text) {
        assertEquals(text, ByteSize.format(bytes));
    }

    @ParameterizedTest(name = "{0} s = {1}")
    @CsvSource({"42,42s", "303,5m03s", "7620,2h07m", "273600,3d04h"})
    void durationsForPeople(long seconds, String text) {
        assertEquals(text, Durations.format(seconds));
    }

    @ParameterizedTest(name = "{0} ns = {1}")
    @CsvSource({"0,0s", "10000000000,10s", "150000000,150ms", "1500000,1500us", "250,250ns"})
    void exactDurationsReadBack(long nanos, String text) {
        assertEquals(text, Durations.exact(Duration.ofNanos(nanos)));
        assertEquals(Duration.ofNanos(nanos), Durations.parse(text));
    }
}
