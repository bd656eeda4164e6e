package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct cuse_init_in}, 16 bytes: what the kernel offers.
 *
 * @param major 7
 * @param minor the kernel's protocol minor (38 on Linux 6.1, 41 on 6.12)
 * @param flags always has {@link FuseProtocol#CUSE_UNRESTRICTED_IOCTL}
 */
public record CuseInitIn(int major, int minor, int unused, int flags) {
    public static final int SIZE = 16;

    public static CuseInitIn decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new CuseInitIn(NativeBytes.getInt(b), NativeBytes.getInt(b), NativeBytes.getInt(b),
                NativeBytes.getInt(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putInt(b, major);
        NativeBytes.putInt(b, minor);
        NativeBytes.putInt(b, unused);
        NativeBytes.putInt(b, flags);
    }

    /** For the debug line: "7.41 flags=0x1". */
    @Override
    public String toString() {
        return major + "." + minor + " flags=0x" + Integer.toHexString(flags);
    }
}
