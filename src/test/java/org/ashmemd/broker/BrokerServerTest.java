package org.ashmemd.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.device.OpenFile;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.Prot;
import org.ashmemd.procscan.ProcFs;
import org.ashmemd.sys.FdPassing;
import org.ashmemd.sys.Memfd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker over a real Unix socket with real memfds and real SCM_RIGHTS (no CUSE needed). */
class BrokerServerTest {
    private static final int PAGE = 4096;
    private static final int SELF = (int) ProcessHandle.current().pid(); // also the main thread's id

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private AreaRegistry registry;
    private TokenTable tokens;
    private BrokerServer broker;

    @BeforeEach
    void start() throws Exception {
        registry = new AreaRegistry(new MemfdBackingFactory(), PAGE);
        tokens = new TokenTable(5_000_000_000L, now::get);
        broker = new BrokerServer(dir.resolve("broker.sock"), "rw-rw-rw-", tokens, now::get);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private OpenFile mappedFile(String name, int size, int openFlags) throws Exception {
        Area area = registry.open();
        area.setName((name + "\0").getBytes(), name.length() + 1);
        area.setSize(size);
        area.map(PAGE, Prot.READ | Prot.WRITE);
        return new OpenFile(area, openFlags, new Caller(0, 0, SELF), 0);
    }

    private record Answer(BrokerWire.Reply reply, int[] fds) {
    }

    private static Answer ask(UnixSocketChannel ch, int token) throws Exception {
        ByteBuffer req = ByteBuffer.allocateDirect(BrokerWire.REQUEST_SIZE);
        BrokerWire.encodeRequest(req, token);
        req.flip();
        while (req.hasRemaining()) {
            ch.write(req);
        }
        ByteBuffer rep = ByteBuffer.allocateDirect(BrokerWire.REPLY_SIZE);
        FdPassing.Received r = FdPassing.receive(ch.getFD(), rep, 2);
        assertEquals(BrokerWire.REPLY_SIZE, r.bytes());
        rep.flip();
        return new Answer(BrokerWire.decodeReply(rep), r.fds());
    }

    private UnixSocketChannel connect() throws Exception {
        return UnixSocketChannel.open(new UnixSocketAddress(dir.resolve("broker.sock").toFile()));
    }

    @Test
    void socketIsWorldWritable() throws Exception {
        assertEquals("rw-rw-rw-", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("broker.sock"))));
    }

    @Test
    void aValidTokenBuysTheMemfdOnceAndTheConnectionStaysUsable() throws Exception {
        OpenFile file = mappedFile("frame", 3 * PAGE, 2);
        try (UnixSocketChannel ch = connect()) {
            int token = tokens.issue(file, SELF, Prot.READ | Prot.WRITE);
            Answer a = ask(ch, token);
            assertEquals(BrokerWire.MAGIC, a.reply().magic());
            assertEquals(0, a.reply().status());
            assertEquals(3 * PAGE, a.reply().size());
            assertEquals(Prot.ALL, a.reply().protMask());
            assertEquals(1, a.fds().length);
            assertEquals("/memfd:dev/ashmem/frame (deleted)",
                    Files.readSymbolicLink(Path.of("/proc/self/fd/" + a.fds()[0])).toString());
            Memfd.close(a.fds()[0]);

            Answer replay = ask(ch, token);
            assertEquals(Errno.EACCES.number(), replay.reply().status());
            assertEquals(0, replay.fds().length);

            int second = tokens.issue(file, SELF, Prot.READ);
            Answer again = ask(ch, second);
            assertEquals(0, again.reply().status(), "one connection serves many requests");
            Memfd.close(again.fds()[0]);
        }
        assertEquals(2, broker.stats().granted());
        assertEquals(1, broker.stats().refused());
    }

    @Test
    void readOnlyOpenersGetAReadOnlyFd() throws Exception {
        OpenFile file = mappedFile("ro", PAGE, 0 /* O_RDONLY */);
        try (UnixSocketChannel ch = connect()) {
            Answer a = ask(ch, tokens.issue(file, SELF, Prot.READ));
            assertEquals(0, a.reply().status());
            String flags = Files.readAllLines(Path.of("/proc/self/fdinfo/" + a.fds()[0])).stream()
                    .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
            assertEquals(0, Integer.parseInt(flags.substring(6).trim(), 8) & 3, "O_RDONLY");
            Memfd.close(a.fds()[0]);
        }
    }

    @Test
    void forgedExpiredStolenAndReleasedTokensAreRefused() throws Exception {
        OpenFile file = mappedFile("x", PAGE, 2);
        try (UnixSocketChannel ch = connect()) {
            assertEquals(Errno.EACCES.number(), ask(ch, 12345).reply().status(), "forged");

            int expiring = tokens.issue(file, SELF, Prot.READ);
            now.addAndGet(6_000_000_000L);
            assertEquals(Errno.EACCES.number(), ask(ch, expiring).reply().status(), "expired");

            int stolen = tokens.issue(file, 1, Prot.READ); // bound to a thread of another process
            assertEquals(Errno.EACCES.number(), ask(ch, stolen).reply().status(), "stolen");

            int orphan = tokens.issue(file, SELF, Prot.READ);
            registry.release(file.area());
            tokens.revoke(file);
            assertEquals(Errno.EACCES.number(), ask(ch, orphan).reply().status(), "released");

            OpenFile fine = mappedFile("y", PAGE, 2);
            Answer ok = ask(ch, tokens.issue(fine, SELF, Prot.READ));
            assertEquals(0, ok.reply().status(), "refusals do not end the connection");
            Memfd.close(ok.fds()[0]);
        }
    }

    @Test
    void aMalformedRequestGetsEprotoAndTheServerGoesOn() throws Exception {
        try (UnixSocketChannel ch = connect()) {
            ByteBuffer junk = ByteBuffer.allocateDirect(BrokerWire.REQUEST_SIZE);
            junk.putInt(0xdeadbeef).putInt(1).putInt(0).putInt(0).flip();
            ch.write(junk);
            ByteBuffer rep = ByteBuffer.allocateDirect(BrokerWire.REPLY_SIZE);
            FdPassing.receive(ch.getFD(), rep, 1);
            rep.flip();
            assertEquals(Errno.EPROTO.number(), BrokerWire.decodeReply(rep).status());
        }
        assertEquals(1, broker.stats().malformed());
        OpenFile file = mappedFile("after", PAGE, 2);
        try (UnixSocketChannel ch = connect()) {
            Answer a = ask(ch, tokens.issue(file, SELF, Prot.READ));
            assertEquals(0, a.reply().status());
            Memfd.close(a.fds()[0]);
        }
    }

    @Test
    void manyClientsAtOnce() throws Exception {
        int clients = 32;
        UnixSocketChannel[] chs = new UnixSocketChannel[clients];
        OpenFile[] files = new OpenFile[clients];
        try {
            for (int i = 0; i < clients; i++) {
                chs[i] = connect();
                files[i] = mappedFile("c" + i, PAGE, 2);
            }
            for (int i = clients - 1; i >= 0; i--) {
                Answer a = ask(chs[i], tokens.issue(files[i], SELF, Prot.READ));
                assertEquals(0, a.reply().status());
                assertTrue(Files.readSymbolicLink(Path.of("/proc/self/fd/" + a.fds()[0])).toString()
                        .startsWith("/memfd:dev/ashmem/c" + i + " "));
                Memfd.close(a.fds()[0]);
            }
        } finally {
            for (UnixSocketChannel ch : chs) {
                if (ch != null) {
                    ch.close();
                }
            }
        }
    }
    @Test
    void aRequestInPiecesIsAnsweredOnceWhole() throws Exception {
        OpenFile file = mappedFile("pieces", PAGE, 2);
        try (UnixSocketChannel ch = connect()) {
            ByteBuffer req = ByteBuffer.allocateDirect(BrokerWire.REQUEST_SIZE);
            BrokerWire.encodeRequest(req, tokens.issue(file, SELF, Prot.READ));
            req.flip();
            for (int cut : new int[] {3, 11, BrokerWire.REQUEST_SIZE}) {
                ch.write(req.duplicate().limit(cut));
                req.position(cut);
                Thread.sleep(50); // each piece arrives on its own
            }
            ByteBuffer rep = ByteBuffer.allocateDirect(BrokerWire.REPLY_SIZE);
            FdPassing.Received r = FdPassing.receive(ch.getFD(), rep, 2);
            rep.flip();
            assertEquals(0, BrokerWire.decodeReply(rep).status());
            assertEquals(1, r.fds().length);
            Memfd.close(r.fds()[0]);
        }
    }

    @Test
    void aHalfRequestThatGoesSilentIsDroppedAndCounted() throws Exception {
        try (UnixSocketChannel ch = connect()) {
            ch.write(ByteBuffer.wrap(new byte[5]));
            // The listener looks about once a second. The clock moves on until it has: the broker
            // may read the five bytes after a first step, and then counts from there.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (broker.stats().timedOut() == 0 && System.nanoTime() < deadline) {
                now.addAndGet(BrokerServer.PARTIAL_REQUEST_TIMEOUT_NANOS + 1_000_000_000L);
                Thread.sleep(200);
            }
            assertEquals(-1, ch.read(ByteBuffer.allocate(1)), "the server ended the connection");
        }
        assertEquals(1, broker.stats().timedOut());
        assertEquals(0, broker.stats().connections());
    }
}
