package org.ashmemd.pressure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PressureTriggerTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "some 150ms 1s          | SOME | 150000 | 1000000 | some 150000 1000000 | some 150ms 1s",
        "full 100ms 2s          | FULL | 100000 | 2000000 | full 100000 2000000 | full 100ms 2s",
        "some 150000us 1000000us | SOME | 150000 | 1000000 | some 150000 1000000 | some 150ms 1s",
        "  SOME   1.5ms   0.5s  | SOME | 1500   | 500000  | some 1500 500000    | some 1500us 500ms",
        "some 70000us 1000ms    | SOME | 70000  | 1000000 | some 70000 1000000  | some 70ms 1s",
        "some 10s 10s           | SOME | 10000000 | 10000000 | some 10000000 10000000 | some 10s 10s",
        "some 1us 500ms         | SOME | 1      | 500000  | some 1 500000       | some 1us 500ms",
        "some 0.1 0.5           | SOME | 100000 | 500000  | some 100000 500000  | some 100ms 500ms",
    })
    void parses(String text, PressureTrigger.Kind kind, long stall, long window, String kernel, String canonical) {
        PressureTrigger t = PressureTrigger.parse(text);
        assertEquals(kind, t.kind());
        assertEquals(stall, t.stallMicros());
        assertEquals(window, t.windowMicros());
        assertEquals(kernel, t.kernelText());
        assertEquals(canonical, t.toString());
        assertEquals(t, PressureTrigger.parse(t.toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "some", "some 150ms", "some 150ms 1s extra", "half 150ms 1s",
        "some 0ms 1s",          // no threshold
        "some 2s 1s",           // threshold over the window
        "some 100ms 400ms",     // window under 500 ms
        "some 100ms 11s",       // window over 10 s
        "some -5ms 1s", "some 1.5us 1s", "some 150xs 1s", "some ms 1s", "some 150ms 1h",
        "some 150000 1000000",  // a bare number is seconds, as in every option
    })
    void refuses(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PressureTrigger.parse(text));
        assertTrue(e.getMessage().startsWith("bad pressure trigger '"), e.getMessage());
    }

    @Test
    void messagesSayWhatIsWrong() {
        assertTrue(message("some 2s 1s").contains("at most the window (1s)"));
        assertTrue(message("some 100ms 400ms").contains("500ms..10s"));
        assertTrue(message("middling 1s 2s").contains("neither 'some' nor 'full'"));
        assertTrue(message("some 150").contains("expected 'some|full STALL WINDOW'"));
        assertTrue(message("some 150000 1000000").contains("a bare number is seconds: write 150000us"));
    }

    private static String message(String text) {
        return assertThrows(IllegalArgumentException.class, () -> PressureTrigger.parse(text)).getMessage();
    }

    @Test
    void stallRatioAndPrivilege() {
        assertEquals(0.15, PressureTrigger.parse("some 150ms 1s").stallRatio(), 1e-12);
        assertFalse(PressureTrigger.parse("some 150ms 1s").unprivilegedWindow());
        assertTrue(PressureTrigger.parse("some 200ms 2s").unprivilegedWindow());
        assertTrue(PressureTrigger.parse("full 1s 4s").unprivilegedWindow());
    }

    @Test
    void configFromOptions() {
        PressureConfig off = PressureConfig.fromOptions("off", 0);
        assertNull(off.trigger());
        assertFalse(off.watchesPressure());
        assertFalse(off.hasSoftLimit());

        PressureConfig on = PressureConfig.fromOptions("some 150ms 1s", 64L << 20);
        assertEquals(PressureTrigger.parse("some 150ms 1s"), on.trigger());
        assertTrue(on.hasSoftLimit());
        assertEquals(PressureConfig.DEFAULT_BURST_PAGES, on.burstPages());

        PressureConfig d = PressureConfig.defaults();
        assertEquals(PressureConfig.DEFAULT_TRIGGER, d.trigger().toString());
        assertTrue(d.trigger().unprivilegedWindow(), "the default must work without CAP_SYS_RESOURCE");
        assertThrows(IllegalArgumentException.class, () -> PressureConfig.fromOptions("sometimes", 0));
        assertThrows(IllegalArgumentException.class, () -> PressureConfig.fromOptions("off", -1));
    }
}
