package org.ashmemd.cuse.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.ashmem.RegistryStats;
import org.ashmemd.broker.TokenTable;
import org.ashmemd.cuse.LogCapture;
import org.ashmemd.cuse.wire.CuseDevInfo;
import org.ashmemd.cuse.wire.CuseInitOut;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.IoctlIn;
import org.ashmemd.cuse.wire.IoctlOut;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.cuse.wire.ReadIn;
import org.ashmemd.cuse.wire.ReleaseIn;
import org.ashmemd.device.AshmemCharDevice;
import org.ashmemd.device.CallerFacts;
import org.ashmemd.device.OpenerResolver;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.Errno;
import org.ashmemd.procscan.ProcFs;

/**
 * The whole session with the real ashmem core behind it, wired as the daemon wires it (memfd
 * backing, the broker's token table, openers and capabilities from /proc, region caps): the
 * input is what a /dev/cuse reader would get, request frames one after another, each as long as
 * its own len field says (the last one takes what is left). Every frame gets exactly the reply
 * the protocol allows: one well-formed reply with the request's id and an errno the kernel
 * takes, or none for INTERRUPT and for frames without a readable id; nothing escapes the
 * session, the device never fails inside it, and once every open file is released the core holds
 * no region, no size, no token and no memfd.
 *
 * <p>Replays {@code CuseSessionFuzzTestInputs/frames/} in every test run; {@code JAZZER_FUZZ=1}
 * fuzzes it.
 */
class CuseSessionFuzzTest {
    private static final int PAGE = 4096;
    private static final ProcFs PROC = new ProcFs();
    private static final CuseConfig CONFIG = CuseConfig.dynamic("ashmem", PAGE);
    private static final int MAX_FRAMES = 256;

    @FuzzTest(maxDuration = "15m")
    void frames(byte[] stream) throws IOException {
        long memfdsBefore = memfds();
        AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
        TokenTable tokens = new TokenTable(10_000_000_000L, System::nanoTime);
        AshmemCharDevice device = new AshmemCharDevice(registry, CallerFacts.fromProc(PROC), tokens, new OpenerResolver(PROC, System::nanoTime, 1_000_000_000L),
                new RegionLimits(new RegionLimits.Caps(8, 64L << 20, 0, 0)));
        CuseSession session = new CuseSession(CONFIG, device);
        // direct, as the transport's: the memory core reads and writes them with native I/O
        ByteBuffer request = ByteBuffer.allocateDirect(CONFIG.requestBufferSize());
        ByteBuffer reply = ByteBuffer.allocateDirect(CONFIG.replyBufferSize());
        Map<Long, Boolean> open = new HashMap<>();

        try (LogCapture sessionLog = LogCapture.of(CuseSession.class, Level.DEBUG);
             LogCapture deviceLog = LogCapture.of(AshmemCharDevice.class, Level.DEBUG)) {
            int at = 0;
            for (int frames = 0; at < stream.length && frames < MAX_FRAMES; frames++) {
                int left = stream.length - at;
                long declared = left >= 4 ? Integer.toUnsignedLong(nativeOrder(stream, at).getInt()) : left;
                // a read of /dev/cuse returns at most one request buffer
                int length = (int) Math.max(1, Math.min(declared, Math.min(left, CONFIG.requestBufferSize())));
                byte[] frame = new byte[length];
                System.arraycopy(stream, at, frame, 0, length);
                at += length;
                exchange(session, frame, request, reply, open);
            }
            long unique = 0x7fff_0000_0000L;
            for (long fh : open.keySet().toArray(new Long[0])) {
                exchange(session, Frames.release(unique += 2, fh), request, reply, open);
            }
            assertTrue(open.isEmpty());
            // the debug lines must be printable for every request, not just for the common ones
            for (ILoggingEvent e : sessionLog.events()) {
                assertNotNull(e.getFormattedMessage());
                if (e.getLevel() == Level.ERROR && e.getFormattedMessage().startsWith("rx ")) {
                    fail("the device failed inside the session: " + e.getFormattedMessage()
                            + (e.getThrowableProxy() != null ? " (" + e.getThrowableProxy().getClassName() + ": "
                            + e.getThrowableProxy().getMessage() + ")" : ""));
                }
            }
            deviceLog.events().forEach(ILoggingEvent::getFormattedMessage);
        }
        assertTrue(device.openFiles().isEmpty(), "open files left after every release");
        RegistryStats stats = registry.stats();
        assertEquals(0, stats.areas(), "regions left after every release: " + stats);
        assertEquals(0, stats.totalSize(), stats.toString());
        assertEquals(0, stats.lruPages(), stats.toString());
        assertEquals(0, registry.lruPages());
        assertEquals(0, tokens.outstanding(), "tokens left after every release");
        assertEquals(memfdsBefore, memfds(), "memfds left open after every release");
    }

    /** Hands one frame to the session and checks the one reply the protocol allows for it. */
    private static void exchange(CuseSession session, byte[] frame, ByteBuffer request, ByteBuffer reply,
            Map<Long, Boolean> open) {
        request.clear();
        request.put(frame, 0, Math.min(frame.length, request.capacity())).flip();
        int len;
        try {
            len = session.handle(request, reply);
        } catch (RuntimeException e) {
            throw new AssertionError("the session threw for a " + frame.length + "-byte frame", e);
        }
        ByteBuffer in = nativeOrder(frame, 0);
        int opcode = InHeader.peekOpcode(in);
        long unique = InHeader.hasUnique(in) ? InHeader.peekUnique(in) : 0;
        boolean answerable = unique != 0 && opcode != Opcode.INTERRUPT.number();
        if (!answerable) {
            assertEquals(0, len, "a reply to a frame without a usable id or to an INTERRUPT");
            return;
        }
        assertTrue(len >= OutHeader.SIZE, "no reply to " + Opcode.nameOf(opcode) + " " + Long.toUnsignedString(unique));
        assertEquals(0, reply.position());
        assertEquals(len, reply.limit());
        ByteBuffer out = reply.duplicate().order(ByteOrder.nativeOrder());
        OutHeader h = OutHeader.decode(out);
        assertEquals(len, h.len(), "header length differs from the bytes written");
        assertEquals(unique, h.unique(), "reply to another request id");
        if (h.error() != 0) {
            assertTrue(h.error() < 0 && h.error() >= -FuseProtocol.MAX_ERRNO, "error " + h.error());
            assertNotNull(Errno.of(-h.error()), "errno " + -h.error() + " is not one the daemon knows");
            assertEquals(OutHeader.SIZE, len, "an error reply carries a body");
            return;
        }
        Opcode op = Opcode.of(opcode);
        assertNotNull(op, "success for opcode " + opcode);
        ByteBuffer body = nativeOrder(frame, InHeader.SIZE);
        switch (op) {
            case CUSE_INIT -> {
                int info = CuseDevInfo.encode(CONFIG.deviceName()).length;
                assertEquals(OutHeader.SIZE + CuseInitOut.SIZE + info, len);
                CuseInitOut init = CuseInitOut.decode(out);
                assertEquals(FuseProtocol.KERNEL_MAJOR, init.major());
                assertTrue(init.minor() >= FuseProtocol.MIN_MINOR_IOCTL_IOVEC && init.minor() <= FuseProtocol.MAX_MINOR);
            }
            case OPEN -> {
                assertEquals(op.fixedReplySize(), len);
                long fh = out.getLong();
                assertFalse(open.containsKey(fh), "fh " + fh + " handed out twice");
                open.put(fh, true);
            }
            case RELEASE -> {
                assertEquals(op.fixedReplySize(), len);
                open.remove(ReleaseIn.decode(body).fh());
            }
            case READ -> assertTrue(len - OutHeader.SIZE <= ReadIn.decode(body).size(), "read reply longer than asked");
            case IOCTL -> {
                IoctlIn ioctl = IoctlIn.decode(body);
                IoctlOut o = IoctlOut.decode(out);
                if ((o.flags() & FuseProtocol.IOCTL_RETRY) != 0) {
                    int iovecs = o.inIovs() + o.outIovs();
                    assertTrue(iovecs > 0 && iovecs <= FuseProtocol.IOCTL_MAX_IOV, "RETRY with " + iovecs + " iovecs");
                    assertEquals(OutHeader.SIZE + IoctlOut.SIZE + 16 * iovecs, len);
                    for (int i = 0; i < iovecs; i++) {
                        long base = out.getLong();
                        long length = out.getLong();
                        assertTrue(Long.compareUnsigned(length, CONFIG.maxIoctlBytes()) <= 0, "iovec of " + length);
                        if ((ioctl.flags() & FuseProtocol.IOCTL_COMPAT) != 0) {
                            assertTrue(Long.compareUnsigned(base, 0xffff_ffffL) <= 0, "iovec base beyond 32 bits");
                        }
                    }
                } else {
                    assertEquals(0, o.inIovs() | o.outIovs());
                    assertTrue(len - OutHeader.SIZE - IoctlOut.SIZE <= ioctl.outSize(), "ioctl output beyond out_size");
                }
            }
            default -> assertEquals(op.fixedReplySize(), len, op + " reply");
        }
    }

    private static ByteBuffer nativeOrder(byte[] b, int at) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).position(Math.min(at, b.length));
    }

    /** The process's open memfds, the backing of every region that has memory. */
    private static long memfds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("/memfd:");
                } catch (IOException e) {
                    return false; // closed meanwhile (the listing's own fd)
                }
            }).count();
        }
    }
}
