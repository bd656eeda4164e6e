package org.ashmemd.control;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Talks to a daemon's admin socket: one request, one response per call. Uses the JDK's own
 * Unix-domain sockets, not jnr: ashmemctl then loads no native-call machinery, which is most of
 * what its start used to cost.
 */
public final class AdminClient {
    public static final Path DEFAULT_SOCKET = Path.of("/run/ashmemd/admin.sock");

    /** The daemon could not be reached, or refused; the message says which on one line. */
    public static final class AdminException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String code;

        public AdminException(String code, String message) {
            super(message);
            this.code = code;
        }

        /** unavailable, denied, usage, notfound, internal or protocol. */
        public String code() {
            return code;
        }
    }

    private final Path socket;

    public AdminClient(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    public JsonNode call(String command) throws AdminException {
        return call(command, Map.of());
    }

    /** Sends the command and returns the response's data, or throws with the daemon's error. */
    public JsonNode call(String command, Map<String, String> args) throws AdminException {
        if (!Files.exists(socket)) {
            throw new AdminException("unavailable", "ashmemd is not running (no " + socket + ")");
        }
        byte[] line;
        try {
            line = (AdminProtocol.json().writeValueAsString(AdminRequest.of(command, args)) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AdminException("internal", "cannot encode the request: " + e.getMessage());
        }
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(line);
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            for (;;) {
                in.clear();
                int n = ch.read(in);
                if (n < 0) {
                    break;
                }
                got.write(in.array(), 0, n);
                if (n > 0 && in.array()[n - 1] == '\n') {
                    break;
                }
            }
            reply = got.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("ermission") || m.contains("EACCES")) {
                throw new AdminException("denied", "no permission to use " + socket + " (run as root or in the admin group)");
            }
            throw new AdminException("unavailable", "cannot talk to ashmemd at " + socket + ": " + m);
        }
        if (reply.isBlank()) {
            throw new AdminException("denied", "ashmemd closed the connection without an answer (not allowed?)");
        }
        AdminResponse r;
        try {
            r = AdminProtocol.json().readValue(reply, AdminResponse.class);
        } catch (IOException e) {
            throw new AdminException("protocol", "unreadable answer from ashmemd: " + e.getMessage());
        }
        if (r.version() != AdminProtocol.VERSION) {
            throw new AdminException("protocol", "ashmemd speaks admin protocol " + r.version() + ", this ashmemctl "
                    + AdminProtocol.VERSION);
        }
        if (!r.ok()) {
            throw new AdminException(r.code() == null ? "internal" : r.code(), r.error());
        }
        return r.data();
    }
}
