package org.ashmemd.jmh;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.broker.TokenTable;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.cuse.session.CuseConfig;
import org.ashmemd.cuse.session.CuseSession;
import org.ashmemd.cuse.session.IoctlReply;
import org.ashmemd.cuse.session.IoctlRequest;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.IoctlIn;
import org.ashmemd.cuse.wire.IoctlOut;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.device.AshmemCharDevice;
import org.ashmemd.device.AshmemIoctl;
import org.ashmemd.device.CallerFacts;
import org.ashmemd.device.OpenerResolver;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.device.RequestStats;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.ashmemd.procscan.ProcFs;
import org.ashmemd.restart.FdStore;
import org.ashmemd.restart.RestartState;
import org.ashmemd.restart.StateJournal;
import org.ashmemd.sys.SystemInfo;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * ioctls on one open, mapped 16 KiB region, answered by the device wired as the daemon wires it
 * (memfd backing, token table, openers and caller facts from /proc, default caps), without
 * CUSE: the device alone, and GET_SIZE once more as a whole frame through the session.
 * The daemon's unpin hook (the pressure check) is not set, so UNPIN costs the core's work only.
 * With {@code restartState=fd-store} the device also keeps the restart state, as the daemon does
 * under systemd ({@code --fd-store}): every change appends the region's record to the state
 * memfd (the store itself is left out: no change here parks anything).
 */
public class AshmemIoctlBenchmark extends DaemonJvmBenchmark {
    private static final int O_RDWR = 2;
    private static final int REGION_PAGES = 4;
    private static final long UNIQUE = 0x1234;
    /** Where the caller's struct ashmem_pin is: only the bytes of the second round count. */
    private static final long PIN_STRUCT_ADDRESS = 0x7000_0000L;
    private static final ByteBuffer NO_INPUT = ByteBuffer.allocate(0);

    @Param({"off", "fd-store"})
    public String restartState;

    private final Caller caller = new Caller(10050, 10050, (int) ProcessHandle.current().pid());
    private AshmemCharDevice device;
    private IoctlRequest getSize;
    private IoctlRequest unpin;
    private IoctlRequest pin;
    private CuseSession session;
    private ByteBuffer request;
    private int frameLength;
    private ByteBuffer reply;

    @Setup
    public void openMappedRegion() throws ErrnoException {
        ProcFs proc = new ProcFs();
        int pageSize = SystemInfo.pageSize();
        device = new AshmemCharDevice(new AreaRegistry(new MemfdBackingFactory(), pageSize),
                CallerFacts.fromProc(proc), new TokenTable(TimeUnit.SECONDS.toNanos(30), System::nanoTime),
                new OpenerResolver(proc, System::nanoTime, TimeUnit.SECONDS.toNanos(10)),
                new RegionLimits(RegionLimits.Caps.DEFAULT));
        if (restartState.equals("fd-store")) {
            device.setStateSink(RestartState.start(FdStore.NONE, new StateJournal.Device(121, 0, 38, 0, 38, 0, 131072,
                    131072, pageSize), 0, Map.of(), Map.of(), null));
        }
        long fh = device.open(caller, O_RDWR);
        long size = (long) REGION_PAGES * pageSize;
        expectResult(0, request(fh, AshmemIoctl.SET_SIZE, size, NO_INPUT));
        // a private mapping: the memfd is created, no token is issued
        expectResult(0, request(fh, AshmemIoctl.ASHMEMD_GET_TOKEN,
                ((long) REGION_PAGES << AshmemIoctl.MAP_PAGES_SHIFT) | Prot.READ | Prot.WRITE, NO_INPUT));
        getSize = request(fh, AshmemIoctl.GET_SIZE, 0, NO_INPUT);
        ByteBuffer wholeRegion = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(0).putInt((int) size)
                .flip().asReadOnlyBuffer();
        unpin = request(fh, AshmemIoctl.UNPIN, PIN_STRUCT_ADDRESS, wholeRegion);
        pin = request(fh, AshmemIoctl.PIN, PIN_STRUCT_ADDRESS, wholeRegion);
        expectResult((int) size, getSize);
        expectResult(0, unpin);
        expectResult(AreaRegistry.NOT_PURGED, pin);

        CuseConfig config = CuseConfig.dynamic("ashmem", pageSize);
        session = new CuseSession(config, device, new RequestStats());
        request = ByteBuffer.allocateDirect(config.requestBufferSize());
        reply = ByteBuffer.allocateDirect(config.replyBufferSize());
        frameLength = InHeader.SIZE + IoctlIn.SIZE;
        new InHeader(frameLength, Opcode.IOCTL.number(), UNIQUE, 0, caller.uid(), caller.gid(), caller.tid(), 0, 0)
                .encode(request);
        new IoctlIn(fh, FuseProtocol.IOCTL_UNRESTRICTED, AshmemIoctl.GET_SIZE, 0, 0, 0).encode(request);
        int len = getSizeThroughSession();
        OutHeader header = OutHeader.decode(reply);
        if (len != OutHeader.SIZE + IoctlOut.SIZE || header.error() != 0 || IoctlOut.decode(reply).result() != size) {
            throw new IllegalStateException("GET_SIZE through the session answered " + header);
        }
    }

    @TearDown
    public void release() {
        device.releaseAll();
    }

    private static IoctlRequest request(long fh, int cmd, long arg, ByteBuffer in) {
        return new IoctlRequest(fh, IoctlRequest.FLAG_UNRESTRICTED, cmd, arg, in, 0);
    }

    /** Fails the setup rather than let a benchmark time an error path. */
    private void expectResult(int expected, IoctlRequest req) throws ErrnoException {
        IoctlReply r = device.ioctl(caller, req);
        if (!(r instanceof IoctlReply.Done done) || done.result() != expected) {
            throw new IllegalStateException(AshmemIoctl.name(req.cmd()) + " answered " + r + ", not " + expected);
        }
    }

    @Benchmark
    public IoctlReply getSize() throws ErrnoException {
        return device.ioctl(caller, getSize);
    }

    /** One pair: the whole region unpinned, then pinned again (NOT_PURGED: nothing purges here). */
    @Benchmark
    public void unpinThenPin(Blackhole bh) throws ErrnoException {
        bh.consume(device.ioctl(caller, unpin));
        bh.consume(device.ioctl(caller, pin));
    }

    /** A GET_SIZE request frame in, its reply frame out, as a reader thread hands them over. */
    @Benchmark
    public int getSizeThroughSession() {
        request.clear().limit(frameLength);
        return session.handle(request, reply);
    }
}
