package org.ashmemd.cuse.session;

/**
 * One range of the caller's memory in an ioctl retry: {@code base} is an address in the
 * caller's address space, {@code length} a byte count (both unsigned 64-bit on the wire).
 */
public record IoctlIovec(long base, long length) {

    /** For the debug line: "0xBASE+LENGTH". */
    @Override
    public String toString() {
        return "0x" + Long.toHexString(base) + "+" + Long.toUnsignedString(length);
    }
}
