package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct cuse_init_out}, 72 bytes; the device-info block ({@link CuseDevInfo}) follows it.
 *
 * @param major    must be 7, or the kernel aborts the connection
 * @param minor    must be at least 11; stored by the kernel as given
 * @param flags    {@link FuseProtocol#CUSE_UNRESTRICTED_IOCTL} or 0
 * @param maxRead  largest READ chunk (the kernel raises it to 4096)
 * @param maxWrite largest WRITE chunk; also raises the kernel's minimum read-buffer size
 * @param devMajor 0 for a dynamic major
 * @param devMinor the device minor (the base minor for a dynamic major)
 */
public record CuseInitOut(int major, int minor, int flags, int maxRead, int maxWrite, int devMajor, int devMinor) {
    public static final int SIZE = 72;
    private static final int SPARE_BYTES = 40;

    public static CuseInitOut decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        int major = NativeBytes.getInt(b);
        int minor = NativeBytes.getInt(b);
        NativeBytes.getInt(b); // unused
        CuseInitOut out = new CuseInitOut(major, minor, NativeBytes.getInt(b), NativeBytes.getInt(b),
                NativeBytes.getInt(b), NativeBytes.getInt(b), NativeBytes.getInt(b));
        NativeBytes.skip(b, SPARE_BYTES);
        return out;
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putInt(b, major);
        NativeBytes.putInt(b, minor);
        NativeBytes.putInt(b, 0);
        NativeBytes.putInt(b, flags);
        NativeBytes.putInt(b, maxRead);
        NativeBytes.putInt(b, maxWrite);
        NativeBytes.putInt(b, devMajor);
        NativeBytes.putInt(b, devMinor);
        NativeBytes.putZeros(b, SPARE_BYTES);
    }

    /** For the debug line: the protocol, buffer sizes and device number granted. */
    @Override
    public String toString() {
        return major + "." + minor + " max_read=" + maxRead + " max_write=" + maxWrite + " dev=" + devMajor + ":"
                + devMinor;
    }
}
