package org.ashmemd.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Durations as people write them: 10s, 500ms, 5m, 1h30m, 2d; a bare number is seconds; ISO-8601 (PT10S) too. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    public static Duration parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("p")) {
            try {
                return nonNegative(Duration.parse(v.toUpperCase(Locale.ROOT)), value);
            } catch (RuntimeException e) {
                throw bad(value);
            }
        }
        if (v.matches("\\d+(\\.\\d+)?")) {
            return nonNegative(Duration.ofNanos(Math.round(Double.parseDouble(v) * 1e9)), value);
        }
        Matcher m = PART.matcher(v);
        int at = 0;
        double nanos = 0;
        while (at < v.length()) {
            if (!m.find(at) || m.start() != at) {
                throw bad(value);
            }
            double n = Double.parseDouble(m.group(1));
            switch (m.group(2)) {
                case "ms": nanos += n * 1e6; break;
                case "s": nanos += n * 1e9; break;
                case "m": nanos += n * 60e9; break;
                case "h": nanos += n * 3600e9; break;
                default: nanos += n * 86400e9; break;
            }
            at = m.end();
        }
        if (at == 0) {
            throw bad(value);
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    private static Duration nonNegative(Duration d, String value) {
        if (d.isNegative()) {
            throw bad(value);
        }
        return d;
    }

    private static CommandLine.TypeConversionException bad(String value) {
        return new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 30s, 500ms, 5m, 1h30m)");
    }
}
