package org.ashmemd.admin;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.procscan.ProcFs;
import org.ashmemd.socket.UnixListener;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.UnixSockets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin socket: root only by default, or root and one group. Each connection carries one
 * JSON request line and gets one JSON response line; peers are checked with SO_PEERCRED when
 * they connect, and served on a small pool so that a slow one holds up no other socket.
 */
public final class AdminServer implements AutoCloseable, UnixListener.Handler {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    /** Generous: only root (or the admin group) connects, and a loaded or emulated machine can take seconds between connect and write. */
    private static final int READ_TIMEOUT_MILLIS = 30_000;
    private static final int BACKLOG = 16;
    private static final int WORKERS = 2;
    /** Responses are streamed (a listing can be tens of MB) through a buffer of this size. */
    private static final int RESPONSE_BUFFER_BYTES = 64 * 1024;
    private static final long WORKER_IDLE_SECONDS = 10;

    private final AdminService service;
    private final ProcFs proc;
    /** The group allowed besides root, or -1 for root only. */
    private final int adminGid;
    private final UnixListener listener;
    /** Two at most; an idle one ends after a while, so that a daemon nobody inspects keeps none. */
    private final ThreadPoolExecutor workers = new ThreadPoolExecutor(WORKERS, WORKERS, WORKER_IDLE_SECONDS,
            TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "admin-worker");
                t.setDaemon(true);
                return t;
            });

    /** @param adminGroup a group whose members may use the socket too, or null for root only */
    public AdminServer(Path path, String adminGroup, AdminService service, ProcFs proc) throws IOException {
        this.service = service;
        this.proc = proc;
        this.listener = UnixListener.bind("admin", path, adminGroup != null ? "rw-rw----" : "rw-------",
                adminGroup, BACKLOG, System::nanoTime);
        this.adminGid = adminGroup != null ? listener.gid() : -1;
        workers.allowCoreThreadTimeOut(true);
        listener.start(this); // after every field is set: the listener's thread calls back at once
    }

    public Path path() {
        return listener.path();
    }

    @Override
    public void accepted(int fd, UnixSockets.Credentials peer, long nowNanos) throws IOException {
        if (!allowed(peer)) {
            log.warn("admin: refused pid {} (uid {}): not root{}", peer.pid(), peer.uid(),
                    adminGid >= 0 ? " nor in the admin group" : "");
            listener.close(fd);
            return;
        }
        // a worker thread serves it with blocking reads and writes, within SO_RCVTIMEO
        if (!Descriptors.setBlocking(fd)) {
            throw new IOException("cannot make the connection blocking");
        }
        UnixSocketChannel ch = UnixSocketChannel.fromFD(fd);
        workers.execute(() -> serve(ch));
    }

    private boolean allowed(UnixSockets.Credentials c) {
        if (c.uid() == 0) {
            return true;
        }
        if (adminGid < 0) {
            return false;
        }
        if (c.gid() == adminGid) {
            return true;
        }
        for (int g : proc.groups(c.pid())) {
            if (g == adminGid) {
                return true;
            }
        }
        return false;
    }

    private void serve(UnixSocketChannel ch) {
        try (ch) {
            ch.setOption(UnixSocketOptions.SO_RCVTIMEO, READ_TIMEOUT_MILLIS);
            String line = readLine(ch);
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), RESPONSE_BUFFER_BYTES);
            service.answer(line, out);
            out.write('\n');
            out.flush();
        } catch (IOException | RuntimeException e) {
            log.debug("admin connection failed: {}", e.toString());
        }
    }

    private static String readLine(UnixSocketChannel ch) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteBuffer in = ByteBuffer.allocate(4096);
        while (got.size() <= AdminProtocol.MAX_REQUEST_BYTES) {
            in.clear();
            int n = ch.read(in);
            if (n <= 0) {
                return null;
            }
            for (int i = 0; i < n; i++) {
                if (in.array()[i] == '\n') {
                    got.write(in.array(), 0, i);
                    return got.toString(StandardCharsets.UTF_8);
                }
            }
            got.write(in.array(), 0, n);
        }
        return null;
    }

    @Override
    public void close() {
        listener.close();
        workers.shutdownNow();
        try {
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
