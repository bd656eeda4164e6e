package org.ashmemd.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.AdminRequest;
import org.ashmemd.control.AdminResponse;
import org.ashmemd.procscan.ProcFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin socket: root only by default, or root and one group. Each connection carries one
 * JSON request line and gets one JSON response line; peers are checked with SO_PEERCRED.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    /** Generous: only root (or the admin group) connects, and a loaded or emulated machine can take seconds between connect and write. */
    private static final int READ_TIMEOUT_MILLIS = 30_000;

    private final Path path;
    private final AdminService service;
    private final ProcFs proc;
    private final int adminGid;
    private final UnixServerSocketChannel server;
    private final Thread acceptor;
    private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "admin");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean running = true;

    /** @param adminGroup a group whose members may use the socket too, or null for root only */
    public AdminServer(Path path, String adminGroup, AdminService service, ProcFs proc) throws IOException {
        this.path = path;
        this.service = service;
        this.proc = proc;
        Files.deleteIfExists(path);
        server = UnixServerSocketChannel.open();
        server.socket().bind(new UnixSocketAddress(path.toFile()), 16);
        if (adminGroup != null) {
            GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(adminGroup);
            Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(g);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
            adminGid = (Integer) Files.getAttribute(path, "unix:gid");
        } else {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            adminGid = -1;
        }
        acceptor = new Thread(this::acceptLoop, "admin-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (running) {
            UnixSocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (running) {
                    log.warn("admin socket accept failed: {}", e.getMessage());
                }
                continue;
            }
            if (ch == null) {
                continue;
            }
            if (!running) {
                try {
                    ch.close();
                } catch (IOException e) {
                    // stopping anyway
                }
                return;
            }
            workers.execute(() -> serve(ch));
        }
    }

    private boolean allowed(Credentials c) {
        if (c.getUid() == 0) {
            return true;
        }
        if (adminGid < 0) {
            return false;
        }
        if (c.getGid() == adminGid) {
            return true;
        }
        for (int g : proc.groups(c.getPid())) {
            if (g == adminGid) {
                return true;
            }
        }
        return false;
    }

    private void serve(UnixSocketChannel ch) {
        try (ch) {
            Credentials c = ch.getOption(UnixSocketOptions.SO_PEERCRED);
            if (!allowed(c)) {
                log.warn("admin: refused pid {} (uid {}): not root{}", c.getPid(), c.getUid(),
                        adminGid >= 0 ? " nor in the admin group" : "");
                return;
            }
            ch.setOption(UnixSocketOptions.SO_RCVTIMEO, READ_TIMEOUT_MILLIS);
            String line = readLine(ch);
            AdminResponse resp;
            if (line == null) {
                resp = AdminResponse.failure("usage", "request too long or not terminated by a newline");
            } else {
                AdminRequest req;
                try {
                    req = AdminProtocol.json().readValue(line, AdminRequest.class);
                    resp = service.handle(req);
                } catch (IOException e) {
                    resp = AdminResponse.failure("usage", "unreadable request: " + e.getMessage());
                }
            }
            byte[] out = (AdminProtocol.json().writeValueAsString(resp) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.wrap(out);
            while (b.hasRemaining()) {
                ch.write(b);
            }
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
        running = false;
        // a thread blocked in accept() is not woken by close(): connect once to let it see the flag
        try (UnixSocketChannel wake = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
            acceptor.join(2000);
        } catch (IOException e) {
            // the acceptor is a daemon thread; it cannot keep the process alive
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        workers.shutdownNow();
        try {
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not remove {}: {}", path, e.getMessage());
        }
    }
}
