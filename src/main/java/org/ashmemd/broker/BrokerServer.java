package org.ashmemd.broker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import jnr.enxio.channels.NativeSelectorProvider;
import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.ashmemd.ashmem.Area;
import org.ashmemd.logging.RateLimitedLogger;
import org.ashmemd.ashmem.BackingLease;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.FdPassing;
import org.ashmemd.sys.Memfd;
import org.ashmemd.sys.SystemInfo;
import org.ashmemd.posix.Prot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mmap broker: a Unix stream socket where a client trades a token from the device for the
 * region's memfd (SCM_RIGHTS). One thread serves every connection through a selector; each
 * request is answered at once, so a slow client only ever delays itself. The preload library
 * opens a connection per exchange and closes it before its call returns (Android's zygote allows
 * no unknown socket); a connection may still carry further requests, one at a time.
 */
public final class BrokerServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerServer.class);

    /** A started request must complete within this, or the connection is dropped. */
    static final long PARTIAL_REQUEST_TIMEOUT_NANOS = 5_000_000_000L;
    /** Idle connections are closed after this; clients reconnect transparently. */
    static final long IDLE_TIMEOUT_NANOS = 60_000_000_000L;
    /** Connections accepted per selector round (see accept()). */
    private static final int ACCEPT_BATCH = 8;
    /** Connections one uid may hold: one local user must not exhaust the daemon's fds. */
    static final int MAX_CONNECTIONS_PER_UID = 256;
    private static final int REFUSAL_LOG_LINES_PER_SECOND = 10;

    private final Path path;
    private final TokenTable tokens;
    private final LongSupplier clock;
    private final UnixServerSocketChannel server;
    private final Selector selector;
    private final Thread thread;
    private final ByteBuffer reply = ByteBuffer.allocateDirect(BrokerWire.REPLY_SIZE);
    private volatile boolean running = true;
    private volatile int connections;
    private final int maxConnections;
    private final java.util.Map<Integer, Integer> connectionsByUid = new java.util.HashMap<>();

    private final AtomicLong granted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final RateLimitedLogger refusalLog;

    private static final class Connection {
        final UnixSocketChannel channel;
        final int peerPid;
        final int peerUid;
        final ByteBuffer request = ByteBuffer.allocateDirect(BrokerWire.REQUEST_SIZE);
        long lastActivityNanos;
        long requestStartNanos;

        Connection(UnixSocketChannel channel, int peerPid, int peerUid, long now) {
            this.channel = channel;
            this.peerPid = peerPid;
            this.peerUid = peerUid;
            this.lastActivityNanos = now;
        }
    }

    /** Binds the socket (replacing a stale one), sets its mode and starts serving. */
    public BrokerServer(Path path, String mode, TokenTable tokens, LongSupplier clock) throws IOException {
        this.path = path;
        this.tokens = tokens;
        this.clock = clock;
        this.refusalLog = new RateLimitedLogger(log, REFUSAL_LOG_LINES_PER_SECOND, clock);
        // a quarter of the fd budget for connections: the rest is for memfds and the device
        this.maxConnections = (int) Math.max(16, Math.min(65_536, SystemInfo.openFileLimit() / 4));
        Files.deleteIfExists(path);
        this.server = UnixServerSocketChannel.open();
        server.configureBlocking(false);
        server.socket().bind(new UnixSocketAddress(path.toFile()), 128);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
        this.selector = NativeSelectorProvider.getInstance().openSelector();
        server.register(selector, SelectionKey.OP_ACCEPT);
        this.thread = new Thread(this::run, "broker");
        thread.setDaemon(true);
        thread.start();
    }

    public Path path() {
        return path;
    }

    public record Stats(long granted, long refused, long malformed, long timedOut, int connections, int outstandingTokens) {
    }

    public Stats stats() {
        return new Stats(granted.get(), refused.get(), malformed.get(), timedOut.get(), connections, tokens.outstanding());
    }

    private void run() {
        long lastSweep = clock.getAsLong();
        while (running) {
            try {
                selector.select(1000);
                for (SelectionKey key : new ArrayList<>(selector.selectedKeys())) {
                    selector.selectedKeys().remove(key);
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.isReadable()) {
                        serve(key);
                    }
                }
                long now = clock.getAsLong();
                if (now - lastSweep > 1_000_000_000L) {
                    lastSweep = now;
                    expire(now);
                    refusalLog.flush();
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    log.error("broker: unexpected failure, continuing", e);
                }
            }
        }
    }

    private void accept() throws IOException {
        // A bounded batch per selector round: clients connect for each exchange and close right
        // after the answer, and their closes are only seen in the next round. Accepting without
        // bound while they churn would count every closed connection as still held, up to the
        // per-uid cap; waiting connections stay in the listen backlog meanwhile.
        for (int accepted = 0; accepted < ACCEPT_BATCH; accepted++) {
            UnixSocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                // EMFILE/ENFILE: the pending connection stays queued; say so, without a flood
                refusalLog.warn("broker: cannot accept a connection: {}", e.getMessage());
                return;
            }
            if (ch == null) {
                return;
            }
            if (connections >= maxConnections) {
                refusalLog.warn("broker: {} connections open (the most allowed), refusing another", connections);
                ch.close();
                continue;
            }
            Credentials cred;
            try {
                cred = ch.getOption(UnixSocketOptions.SO_PEERCRED);
            } catch (IOException | RuntimeException e) {
                log.warn("broker: no peer credentials ({}), closing", e.getMessage());
                ch.close();
                continue;
            }
            int perUid = connectionsByUid.getOrDefault(cred.getUid(), 0);
            if (perUid >= MAX_CONNECTIONS_PER_UID) {
                refusalLog.warn("broker: uid {} already holds {} connections, refusing pid {}", cred.getUid(), perUid,
                        cred.getPid());
                ch.close();
                continue;
            }
            ch.configureBlocking(false);
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ,
                    new Connection(ch, cred.getPid(), cred.getUid(), clock.getAsLong()));
            connectionsByUid.put(cred.getUid(), perUid + 1);
            connections++;
            // the library connects for each exchange and sends its request right after connect,
            // so it is usually here already: answering now saves a selector round per mapping
            serve(key);
        }
    }

    private void serve(SelectionKey key) {
        Connection c = (Connection) key.attachment();
        long now = clock.getAsLong();
        try {
            if (c.request.position() == 0) {
                c.requestStartNanos = now;
            }
            int n = c.channel.read(c.request);
            if (n < 0) {
                close(key, c);
                return;
            }
            c.lastActivityNanos = now;
            if (c.request.hasRemaining()) {
                return;
            }
            c.request.flip();
            BrokerWire.Request req = BrokerWire.decodeRequest(c.request);
            c.request.clear();
            if (!req.wellFormed()) {
                malformed.incrementAndGet();
                refusalLog.warn("broker: malformed request from pid {} (uid {}), closing", c.peerPid, c.peerUid);
                answer(c, Errno.EPROTO.number(), 0, 0, -1);
                close(key, c);
                return;
            }
            handle(c, req.token(), now);
        } catch (IOException | ErrnoException e) {
            log.debug("broker: connection of pid {} failed: {}", c.peerPid, e.getMessage());
            close(key, c);
        }
    }

    private void handle(Connection c, int token, long now) throws ErrnoException {
        TokenTable.Grant grant;
        try {
            grant = tokens.redeem(token, c.peerPid);
        } catch (TokenTable.RefusedException e) {
            refused.incrementAndGet();
            refusalLog.warn("broker: refused a token from pid {} (uid {}): {}", c.peerPid, c.peerUid, e.getMessage());
            answer(c, Errno.EACCES.number(), 0, 0, -1);
            return;
        }
        Area area = grant.file().area();
        BackingLease lease;
        try {
            lease = area.lease();
        } catch (ErrnoException e) {
            refused.incrementAndGet(); // released since the token was issued
            answer(c, Errno.EACCES.number(), 0, 0, -1);
            return;
        }
        int readOnlyFd = -1;
        try (lease) {
            int fd = lease.memory().fd();
            // a read-only fd cannot map writable nor add seals: for read-only opens, and once the
            // mask lost PROT_WRITE (in case a client's seal kept the daemon from sealing)
            if (grant.file().readOnly() || (area.protMask() & Prot.WRITE) == 0) {
                readOnlyFd = Memfd.reopenReadOnly(fd);
                fd = readOnlyFd;
            }
            granted.incrementAndGet(); // counted first: a client may look at stats as soon as it has its fd
            answer(c, 0, area.size(), area.protMask(), fd);
        } finally {
            if (readOnlyFd >= 0) {
                Memfd.close(readOnlyFd);
            }
        }
    }

    private void answer(Connection c, int status, long size, int prot, int fd) throws ErrnoException {
        reply.clear();
        BrokerWire.encodeReply(reply, status, size, prot);
        reply.flip();
        int n = FdPassing.send(c.channel.getFD(), reply, fd);
        if (n != BrokerWire.REPLY_SIZE) {
            throw new ErrnoException(Errno.EAGAIN, "client does not read its replies");
        }
    }

    private void expire(long now) {
        List<SelectionKey> drop = new ArrayList<>();
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Connection) {
                Connection c = (Connection) key.attachment();
                boolean partial = c.request.position() > 0 && now - c.requestStartNanos > PARTIAL_REQUEST_TIMEOUT_NANOS;
                boolean idle = now - c.lastActivityNanos > IDLE_TIMEOUT_NANOS;
                if (partial || idle) {
                    if (partial) {
                        timedOut.incrementAndGet();
                        refusalLog.warn("broker: pid {} (uid {}) sent an incomplete request and went silent, closing",
                                c.peerPid, c.peerUid);
                    }
                    drop.add(key);
                }
            }
        }
        for (SelectionKey key : drop) {
            close(key, (Connection) key.attachment());
        }
    }

    private void close(SelectionKey key, Connection c) {
        key.cancel();
        try {
            c.channel.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
        connectionsByUid.computeIfPresent(c.peerUid, (uid, n) -> n > 1 ? n - 1 : null);
        connections--;
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey key : selector.keys()) {
            try {
                key.channel().close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not remove {}: {}", path, e.getMessage());
        }
    }
}
