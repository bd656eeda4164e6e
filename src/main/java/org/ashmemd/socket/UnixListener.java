package org.ashmemd.socket;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.ashmemd.logging.RateLimitedLogger;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.Epoll;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.EventFd;
import org.ashmemd.sys.UnixSockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Unix stream socket served by one thread: it binds the path (replacing a socket left by a
 * daemon that did not stop cleanly), sets the mode and optionally the group, accepts
 * connections with their peer's credentials (SO_PEERCRED) and hands them to a {@link Handler},
 * which may keep them on this thread's epoll instance. Connections are plain descriptors: the
 * broker answers one per mapping, and channel objects and a selector cost it more than its
 * system calls. {@link #close()} stops the thread, closes every connection still registered and
 * removes the socket.
 */
public final class UnixListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UnixListener.class);
    /**
     * Connections accepted per round. Clients that connect for each exchange close right after
     * their answer, and the close is seen only in the next round: accepting without bound while
     * they churn would count closed connections as held. Waiting connections stay in the listen
     * backlog meanwhile.
     */
    private static final int ACCEPT_BATCH = 8;
    private static final int EVENTS_PER_WAIT = 64;
    private static final int TICK_MILLIS = 1000;
    private static final long TICK_NANOS = TICK_MILLIS * 1_000_000L;
    private static final int WARNINGS_PER_SECOND = 10;
    // epoll tags: a connection's is its descriptor
    private static final long LISTENING = -1;
    private static final long STOP = -2;

    /** What a socket does with its connections. Every call comes from the listener's thread. */
    public interface Handler {
        /**
         * A new connection, non-blocking, close-on-exec. The handler owns the descriptor from
         * here on: it closes it, hands it to another thread, or keeps it on this thread with
         * {@link UnixListener#register}. {@code nowNanos}: the clock, read once for this round.
         */
        void accepted(int fd, UnixSockets.Credentials peer, long nowNanos) throws IOException;

        /**
         * A connection registered with {@link UnixListener#register} has data or hung up (a
         * read may also find nothing: EAGAIN).
         */
        default void readable(int fd, Object attachment, long nowNanos) {
        }

        /** About once a second, for timeouts and summaries. */
        default void tick(long nowNanos) {
        }
    }

    private final String name;
    private final Path path;
    private final int gid;
    private final UnixServerSocketChannel server;
    private final Epoll epoll;
    private final int stopFd;
    private final LongSupplier clock;
    private final RateLimitedLogger warnings;
    /** Registered connections and their attachments; listener thread only (and close() after it ended). */
    private final Map<Integer, Object> registered = new HashMap<>();
    private Handler handler;
    private Thread thread;
    private volatile boolean running = true;

    private UnixListener(String name, Path path, int gid, UnixServerSocketChannel server, Epoll epoll, int stopFd,
            LongSupplier clock) {
        this.name = name;
        this.path = path;
        this.gid = gid;
        this.server = server;
        this.epoll = epoll;
        this.stopFd = stopFd;
        this.clock = clock;
        this.warnings = new RateLimitedLogger(log, WARNINGS_PER_SECOND, clock);
    }

    /**
     * Binds {@code path} and sets its mode ({@code "rw-rw-rw-"} style) and, unless {@code group}
     * is null, its group. Nothing is accepted before {@link #start}.
     *
     * @param name what log lines call the socket ("broker", "admin")
     * @throws IOException when the path cannot be bound, the group does not exist or the mode
     *     cannot be set; nothing is left behind then
     */
    public static UnixListener bind(String name, Path path, String mode, String group, int backlog,
            LongSupplier clock) throws IOException {
        removeStale(path);
        UnixServerSocketChannel server = UnixServerSocketChannel.open();
        Epoll epoll = null;
        int stopFd = -1;
        try {
            server.configureBlocking(false);
            server.socket().bind(new UnixSocketAddress(path.toFile()), backlog);
            if (group != null) {
                GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
                Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(g);
            }
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
            int gid = (Integer) Files.getAttribute(path, "unix:gid");
            epoll = new Epoll(EVENTS_PER_WAIT);
            stopFd = EventFd.create();
            int r = epoll.add(server.getFD(), Epoll.IN, LISTENING);
            if (r == 0) {
                r = epoll.add(stopFd, Epoll.IN, STOP);
            }
            if (r != 0) {
                throw new IOException("epoll_ctl for " + path + ": " + Errno.nameOf(-r));
            }
            return new UnixListener(name, path, gid, server, epoll, stopFd, clock);
        } catch (ErrnoException e) {
            closeQuietly(epoll);
            Descriptors.close(stopFd);
            closeQuietly(server);
            Files.deleteIfExists(path);
            throw new IOException("cannot serve " + path + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(epoll);
            Descriptors.close(stopFd);
            closeQuietly(server);
            Files.deleteIfExists(path);
            throw e;
        }
    }

    /** A socket file at the path is one a previous daemon left; anything else is not ours to remove. */
    private static void removeStale(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.readAttributes(path, java.nio.file.attribute.PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .isOther()) {
            throw new IOException(path + " exists and is not a socket");
        }
        Files.delete(path);
    }

    /** Starts the thread (named after the socket) that accepts and serves. */
    public UnixListener start(Handler handler) {
        this.handler = handler;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    public Path path() {
        return path;
    }

    /** The socket file's group id. */
    public int gid() {
        return gid;
    }

    /**
     * Keeps a connection on this listener's thread: {@link Handler#readable} is called with
     * {@code attachment} while it has data. Only from the listener's thread.
     */
    public void register(int fd, Object attachment) throws IOException {
        int r = epoll.add(fd, Epoll.IN, fd);
        if (r != 0) {
            throw new IOException("epoll_ctl: " + Errno.nameOf(-r));
        }
        registered.put(fd, attachment);
    }

    /** Closes a connection, registered or not. Only from the listener's thread. */
    public void close(int fd) {
        registered.remove(fd);
        UnixSockets.close(fd); // epoll forgets it with its file
    }

    /** The registered connections' attachments. Only from the listener's thread. */
    public List<Object> connections() {
        return new ArrayList<>(registered.values());
    }

    private void run() {
        long lastTick = clock.getAsLong();
        while (running) {
            try {
                int n = epoll.await(TICK_MILLIS);
                if (n < 0 && n != -Errno.EINTR.number()) {
                    throw new IOException("epoll_wait: " + Errno.nameOf(-n));
                }
                // one clock read per round: without a vDSO clock (as under emulation) each read is
                // a system call, and a mapping's exchange takes two rounds
                long now = clock.getAsLong();
                for (int i = 0; i < n && running; i++) {
                    long tag = epoll.tag(i);
                    if (tag == LISTENING) {
                        acceptBatch(now);
                    } else if (tag >= 0) {
                        // null: closed earlier in this round (its number may be a new connection's already,
                        // whose handler then finds EAGAIN)
                        Object attachment = registered.get((int) tag);
                        if (attachment != null) {
                            handler.readable((int) tag, attachment, now);
                        }
                    }
                }
                if (now - lastTick > TICK_NANOS) {
                    lastTick = now;
                    handler.tick(now);
                    warnings.flush();
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    log.error("{} socket: unexpected failure, continuing", name, e);
                }
            }
        }
    }

    private void acceptBatch(long now) {
        int serverFd = server.getFD();
        for (int accepted = 0; accepted < ACCEPT_BATCH && running; accepted++) {
            // accept4(2) and SO_PEERCRED directly: the channel's own accept allocates an address
            // and changes the socket's blocking mode with two fcntl(2) calls, per connection
            int fd = UnixSockets.accept(serverFd);
            if (fd == -Errno.EAGAIN.number() || fd == -Errno.EINTR.number()) {
                return;
            }
            if (fd < 0) {
                // EMFILE/ENFILE: the pending connection stays queued; say so, without a flood
                warnings.warn("{} socket: cannot accept a connection: {}", name, Errno.nameOf(-fd));
                return;
            }
            UnixSockets.Credentials peer = UnixSockets.peerCredentials(fd);
            if (peer == null) {
                warnings.warn("{} socket: no peer credentials, closing", name);
                UnixSockets.close(fd);
                continue;
            }
            try {
                handler.accepted(fd, peer, now);
            } catch (IOException | RuntimeException e) {
                log.debug("{} socket: connection of pid {} failed: {}", name, peer.pid(), e.toString());
                close(fd);
            }
        }
    }

    /** Stops serving: the thread ends, registered connections close, the socket file goes. */
    @Override
    public void close() {
        running = false;
        EventFd.signal(stopFd);
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Integer fd : registered.keySet()) {
            UnixSockets.close(fd);
        }
        registered.clear();
        epoll.close();
        Descriptors.close(stopFd);
        closeQuietly(server);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not remove {}: {}", path, e.getMessage());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
