package org.ashmemd.cmdline;

import java.time.Duration;
import org.ashmemd.units.Durations;
import picocli.CommandLine;

/** A DURATION option, read by {@link Durations#parse}; a bad one is a usage error. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
