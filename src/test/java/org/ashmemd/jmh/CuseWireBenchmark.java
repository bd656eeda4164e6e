package org.ashmemd.jmh;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.ashmemd.cuse.session.CuseConfig;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.IoctlIn;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.Replies;
import org.ashmemd.device.AshmemIoctl;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The wire layer's share of every ioctl: the request header and {@code fuse_ioctl_in} decoded
 * from a GET_SIZE frame in a reader thread's buffer, and the reply of the finished ioctl encoded.
 */
public class CuseWireBenchmark extends DaemonJvmBenchmark {
    private static final long UNIQUE = 0x1234;
    private static final byte[] NO_OUTPUT = new byte[0];

    /**
     * The reader threads' buffers are direct and keep ByteBuffer's default (big-endian) order,
     * so on x86 every field is swapped twice; "native" shows what that costs.
     */
    @Param({"default", "native"})
    public String order;

    private ByteBuffer request;
    private int frameLength;
    private ByteBuffer reply;

    @Setup
    public void buffers() {
        CuseConfig config = CuseConfig.dynamic("ashmem", CuseConfig.DEFAULT_PAGE_SIZE);
        request = ByteBuffer.allocateDirect(config.requestBufferSize());
        reply = ByteBuffer.allocateDirect(config.replyBufferSize());
        if (order.equals("native")) {
            request.order(ByteOrder.nativeOrder());
            reply.order(ByteOrder.nativeOrder());
        } else if (!order.equals("default")) {
            throw new IllegalArgumentException("order is default or native: " + order);
        }
        frameLength = InHeader.SIZE + IoctlIn.SIZE;
        int tid = (int) ProcessHandle.current().pid();
        new InHeader(frameLength, Opcode.IOCTL.number(), UNIQUE, 0, 10050, 10050, tid, 0, 0).encode(request);
        new IoctlIn(1, FuseProtocol.IOCTL_UNRESTRICTED, AshmemIoctl.GET_SIZE, 0, 0, 0).encode(request);
    }

    @Benchmark
    public void decodeIoctlRequest(Blackhole bh) {
        request.clear().limit(frameLength); // as the reader leaves it after a read()
        bh.consume(InHeader.decode(request));
        bh.consume(IoctlIn.decode(request));
    }

    @Benchmark
    public int encodeIoctlReply() {
        return Replies.ioctl(reply.clear(), UNIQUE, 16384, NO_OUTPUT);
    }
}
