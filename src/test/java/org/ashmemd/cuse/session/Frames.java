package org.ashmemd.cuse.session;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import org.ashmemd.cuse.wire.CuseInitIn;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.InterruptIn;
import org.ashmemd.cuse.wire.IoctlIn;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.OpenIn;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.cuse.wire.PollIn;
import org.ashmemd.cuse.wire.ReadIn;
import org.ashmemd.cuse.wire.ReleaseIn;
import org.ashmemd.cuse.wire.WriteIn;

/** Request frames built with the wire encoders, in native order, as the kernel would send them. */
final class Frames {
    static final Caller CALLER = new Caller(10050, 10050, 4242);
    static final byte[] NONE = new byte[0];

    private Frames() {
    }

    static byte[] frame(int opcode, long unique, Caller c, int bodySize, Consumer<ByteBuffer> body, byte[] data) {
        int len = InHeader.SIZE + bodySize + data.length;
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.nativeOrder());
        new InHeader(len, opcode, unique, 0, c.uid(), c.gid(), c.tid(), 0, 0).encode(b);
        body.accept(b);
        b.put(data);
        return b.array();
    }

    static byte[] init(long unique, int major, int minor) {
        return frame(Opcode.CUSE_INIT.number(), unique, Caller.NOBODY, CuseInitIn.SIZE,
                new CuseInitIn(major, minor, 0, FuseProtocol.CUSE_UNRESTRICTED_IOCTL)::encode, NONE);
    }

    static byte[] open(long unique) {
        return frame(Opcode.OPEN.number(), unique, CALLER, OpenIn.SIZE, new OpenIn(0x8002, 0)::encode, NONE);
    }

    static byte[] read(long unique, long fh, long size) {
        return frame(Opcode.READ.number(), unique, CALLER, ReadIn.SIZE,
                new ReadIn(fh, 0, size, 2, 0x1122334455667788L, 0x8002, 0)::encode, NONE);
    }

    static byte[] write(long unique, long fh, byte[] data) {
        return frame(Opcode.WRITE.number(), unique, CALLER, WriteIn.SIZE,
                new WriteIn(fh, 0, data.length, 2, 0x1122334455667788L, 0x8002, 0)::encode, data);
    }

    static byte[] release(long unique, long fh) {
        return frame(Opcode.RELEASE.number(), unique, Caller.NOBODY, ReleaseIn.SIZE,
                new ReleaseIn(fh, 0x8002, 0, 0)::encode, NONE);
    }

    static byte[] interrupt(long unique, long interrupted) {
        return frame(Opcode.INTERRUPT.number(), unique, Caller.NOBODY, InterruptIn.SIZE,
                new InterruptIn(interrupted)::encode, NONE);
    }

    static byte[] ioctl(long unique, int flags, int cmd, long arg, byte[] in, long outSize) {
        return frame(Opcode.IOCTL.number(), unique, CALLER, IoctlIn.SIZE,
                new IoctlIn(7, flags, cmd, arg, in.length, outSize)::encode, in);
    }

    static byte[] ioctl(long unique, int cmd, long arg) {
        return ioctl(unique, FuseProtocol.IOCTL_UNRESTRICTED, cmd, arg, NONE, 0);
    }

    static byte[] poll(long unique, long fh) {
        return frame(Opcode.POLL.number(), unique, CALLER, PollIn.SIZE, new PollIn(fh, 1, 0, 1)::encode, NONE);
    }

    /** Overwrites the u32 at {@code offset} in native order. */
    static byte[] patchInt(byte[] frame, int offset, int value) {
        ByteBuffer.wrap(frame).order(ByteOrder.nativeOrder()).putInt(offset, value);
        return frame;
    }

    static OutHeader header(ByteBuffer reply) {
        return OutHeader.decode(reply.duplicate().order(ByteOrder.nativeOrder()).position(0));
    }
}
