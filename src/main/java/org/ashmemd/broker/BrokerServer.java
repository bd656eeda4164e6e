package org.ashmemd.broker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.ashmemd.ashmem.Area;
import org.ashmemd.ashmem.BackingLease;
import org.ashmemd.logging.RateLimitedLogger;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.ashmemd.socket.UnixListener;
import org.ashmemd.sys.FdPassing;
import org.ashmemd.sys.IoBuffer;
import org.ashmemd.sys.Memfd;
import org.ashmemd.sys.SystemInfo;
import org.ashmemd.sys.UnixSockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mmap broker: a Unix stream socket where a client trades a token from the device for the
 * region's memfd (SCM_RIGHTS). The listener's one thread serves every connection through its
 * selector; each request is answered at once, so a slow client only ever delays itself. The
 * preload library opens a connection per exchange and closes it before its call returns
 * (Android's zygote allows no unknown socket); a connection may still carry further requests,
 * one at a time.
 */
public final class BrokerServer implements AutoCloseable, UnixListener.Handler {
    private static final Logger log = LoggerFactory.getLogger(BrokerServer.class);

    /** A started request must complete within this, or the connection is dropped. */
    static final long PARTIAL_REQUEST_TIMEOUT_NANOS = 5_000_000_000L;
    /** Idle connections are closed after this; clients reconnect transparently. */
    static final long IDLE_TIMEOUT_NANOS = 60_000_000_000L;
    /** Connections one uid may hold: one local user must not exhaust the daemon's fds. */
    static final int MAX_CONNECTIONS_PER_UID = 256;
    private static final int REFUSAL_LOG_LINES_PER_SECOND = 10;
    private static final int BACKLOG = 128;

    private final TokenTable tokens;
    private final UnixListener listener;
    /** Listener thread only: what a read brings in, and the reply being sent. */
    private final IoBuffer received = new IoBuffer(BrokerWire.REQUEST_SIZE);
    private final IoBuffer reply = new IoBuffer(BrokerWire.REPLY_SIZE);
    private volatile int connections;
    private final int maxConnections;
    /** Listener thread only. */
    private final Map<Integer, Integer> connectionsByUid = new HashMap<>();

    private final AtomicLong granted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final RateLimitedLogger refusalLog;

    private static final class Connection {
        final int fd;
        final int peerPid;
        final int peerUid;
        /** The request so far: a client's request usually comes in one read, with the connection. */
        final byte[] request = new byte[BrokerWire.REQUEST_SIZE];
        int got;
        long lastActivityNanos;
        long requestStartNanos;

        Connection(int fd, int peerPid, int peerUid, long now) {
            this.fd = fd;
            this.peerPid = peerPid;
            this.peerUid = peerUid;
            this.lastActivityNanos = now;
        }
    }

    /** Binds the socket (replacing a stale one), sets its mode and starts serving. */
    public BrokerServer(Path path, String mode, TokenTable tokens, LongSupplier clock) throws IOException {
        this.tokens = tokens;
        this.refusalLog = new RateLimitedLogger(log, REFUSAL_LOG_LINES_PER_SECOND, clock);
        // a quarter of the fd budget for connections: the rest is for memfds and the device
        this.maxConnections = (int) Math.max(16, Math.min(65_536, SystemInfo.openFileLimit() / 4));
        this.listener = UnixListener.bind("broker", path, mode, null, BACKLOG, clock);
        listener.start(this); // after the field is set: the listener's thread calls back at once
    }

    public Path path() {
        return listener.path();
    }

    public record Stats(long granted, long refused, long malformed, long timedOut, int connections, int outstandingTokens) {
    }

    public Stats stats() {
        return new Stats(granted.get(), refused.get(), malformed.get(), timedOut.get(), connections, tokens.outstanding());
    }

    @Override
    public void accepted(int fd, UnixSockets.Credentials peer, long now) throws IOException {
        if (connections >= maxConnections) {
            refusalLog.warn("broker: {} connections open (the most allowed), refusing another", connections);
            listener.close(fd);
            return;
        }
        int perUid = connectionsByUid.getOrDefault(peer.uid(), 0);
        if (perUid >= MAX_CONNECTIONS_PER_UID) {
            refusalLog.warn("broker: uid {} already holds {} connections, refusing pid {}", peer.uid(), perUid,
                    peer.pid());
            listener.close(fd);
            return;
        }
        Connection c = new Connection(fd, peer.pid(), peer.uid(), now);
        listener.register(fd, c);
        connectionsByUid.put(peer.uid(), perUid + 1);
        connections++;
        // the library connects for each exchange and sends its request right after connect,
        // so it is usually here already: answering now saves a round per mapping
        readable(fd, c, now);
    }

    @Override
    public void readable(int fd, Object attachment, long now) {
        Connection c = (Connection) attachment;
        try {
            if (c.got == 0) {
                c.requestStartNanos = now;
            }
            int n = UnixSockets.read(c.fd, received, BrokerWire.REQUEST_SIZE - c.got);
            if (n == -Errno.EAGAIN.number() || n == -Errno.EINTR.number()) {
                return;
            }
            if (n <= 0) {
                close(c); // the client hung up (0), or the connection failed
                return;
            }
            received.bytes().get(0, c.request, c.got, n);
            c.got += n;
            c.lastActivityNanos = now;
            if (c.got < BrokerWire.REQUEST_SIZE) {
                return;
            }
            c.got = 0;
            BrokerWire.Request req = BrokerWire.decodeRequest(ByteBuffer.wrap(c.request));
            if (!req.wellFormed()) {
                malformed.incrementAndGet();
                refusalLog.warn("broker: malformed request from pid {} (uid {}), closing", c.peerPid, c.peerUid);
                answer(c, Errno.EPROTO.number(), 0, 0, -1);
                close(c);
                return;
            }
            handle(c, req.token(), now);
        } catch (ErrnoException e) {
            log.debug("broker: connection of pid {} failed: {}", c.peerPid, e.getMessage());
            close(c);
        }
    }

    /** Once a second: drops silent connections and writes the refusal summary of the second gone by. */
    @Override
    public void tick(long now) {
        for (Object attachment : listener.connections()) {
            Connection c = (Connection) attachment;
            boolean partial = c.got > 0 && now - c.requestStartNanos > PARTIAL_REQUEST_TIMEOUT_NANOS;
            boolean idle = now - c.lastActivityNanos > IDLE_TIMEOUT_NANOS;
            if (partial || idle) {
                if (partial) {
                    timedOut.incrementAndGet();
                    refusalLog.warn("broker: pid {} (uid {}) sent an incomplete request and went silent, closing",
                            c.peerPid, c.peerUid);
                }
                close(c);
            }
        }
        refusalLog.flush();
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
                readOnlyFd = lease.memory().reopenReadOnly();
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
        BrokerWire.encodeReply(reply.bytes().clear(), status, size, prot);
        int n = FdPassing.send(c.fd, reply, BrokerWire.REPLY_SIZE, fd);
        if (n < 0) {
            throw new ErrnoException(-n, "sendmsg: " + Errno.nameOf(-n));
        }
        if (n != BrokerWire.REPLY_SIZE) {
            throw new ErrnoException(Errno.EAGAIN, "client does not read its replies");
        }
    }

    private void close(Connection c) {
        listener.close(c.fd);
        connectionsByUid.computeIfPresent(c.peerUid, (uid, n) -> n > 1 ? n - 1 : null);
        connections--;
    }

    /** Stops serving and removes the socket; open connections are closed. */
    @Override
    public void close() {
        listener.close();
    }
}
