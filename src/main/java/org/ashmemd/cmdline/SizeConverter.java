package org.ashmemd.cmdline;

import org.ashmemd.units.ByteSize;
import picocli.CommandLine;

/** A SIZE option, read by {@link ByteSize#parse}; a bad one is a usage error. */
public final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
