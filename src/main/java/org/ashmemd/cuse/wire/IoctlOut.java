package org.ashmemd.cuse.wire;

import java.nio.ByteBuffer;

/**
 * {@code struct fuse_ioctl_out}, 16 bytes; output data or {@code inIovs + outIovs}
 * {@link RetryIovec}s follow it.
 *
 * @param result  the ioctl's return value (signed 32-bit)
 * @param flags   {@link FuseProtocol#IOCTL_RETRY} or 0
 * @param inIovs  iovecs the kernel gathers into the next round
 * @param outIovs iovecs the next round's output is scattered over
 */
public record IoctlOut(int result, int flags, int inIovs, int outIovs) {
    public static final int SIZE = 16;

    public static IoctlOut decode(ByteBuffer b) {
        NativeBytes.requireRemaining(b, SIZE);
        return new IoctlOut(NativeBytes.getInt(b), NativeBytes.getInt(b), NativeBytes.getInt(b),
                NativeBytes.getInt(b));
    }

    public void encode(ByteBuffer b) {
        NativeBytes.requireRoom(b, SIZE);
        NativeBytes.putInt(b, result);
        NativeBytes.putInt(b, flags);
        NativeBytes.putInt(b, inIovs);
        NativeBytes.putInt(b, outIovs);
    }

    public boolean retry() {
        return (flags & FuseProtocol.IOCTL_RETRY) != 0;
    }
}
