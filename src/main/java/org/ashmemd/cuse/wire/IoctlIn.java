package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;
import org.ashmemd.posix.IoctlNumber;

/**
 * {@code struct fuse_ioctl_in}, 32 bytes; {@code inSize} bytes of caller data follow it.
 *
 * @param fh      from OPEN
 * @param flags   FUSE_IOCTL_* ({@link FuseProtocol#IOCTL_COMPAT} etc.)
 * @param cmd     the ioctl number as the caller passed it
 * @param arg     raw argument; zero-extended for 32-bit callers
 * @param inSize  caller bytes that follow (u32)
 * @param outSize most output bytes the kernel accepts back (u32)
 */
public record IoctlIn(long fh, int flags, int cmd, long arg, long inSize, long outSize) {
    public static final int SIZE = 32;

    public static IoctlIn decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new IoctlIn(NativeBytes.getLong(b), NativeBytes.getInt(b), NativeBytes.getInt(b),
                NativeBytes.getLong(b), NativeBytes.getUnsignedInt(b), NativeBytes.getUnsignedInt(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putLong(b, fh);
        NativeBytes.putInt(b, flags);
        NativeBytes.putInt(b, cmd);
        NativeBytes.putLong(b, arg);
        NativeBytes.putUnsignedInt(b, inSize);
        NativeBytes.putUnsignedInt(b, outSize);
    }

    /** For the debug line; the flags only when they differ from an unrestricted native ioctl's. */
    @Override
    public String toString() {
        String f = flags == FuseProtocol.IOCTL_UNRESTRICTED ? "" : " flags=0x" + Integer.toHexString(flags);
        return "fh=" + Long.toUnsignedString(fh) + " cmd=" + IoctlNumber.toHex(cmd) + " arg=0x" + Long.toHexString(arg)
                + " in=" + inSize + " out=" + outSize + f;
    }
}
