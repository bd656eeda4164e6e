package org.ashmemd.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.ashmemd.posix.Errno;
import org.ashmemd.sys.FdPassing;
import org.ashmemd.sys.IoBuffer;
import org.ashmemd.sys.UnixSockets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listener over a real Unix socket: bind, mode, stale sockets, peer credentials, stop. */
class UnixListenerTest {
    private static final int SELF = (int) ProcessHandle.current().pid();

    @TempDir
    Path dir;

    /** Echoes what each readable event brings and records who connected. */
    private static final class Echo implements UnixListener.Handler {
        final BlockingQueue<UnixSockets.Credentials> peers = new ArrayBlockingQueue<>(16);
        final IoBuffer buf = new IoBuffer(64);
        UnixListener listener;

        @Override
        public void accepted(int fd, UnixSockets.Credentials peer, long nowNanos) throws IOException {
            peers.add(peer);
            listener.register(fd, peer);
        }

        @Override
        public void readable(int fd, Object attachment, long nowNanos) {
            int n = UnixSockets.read(fd, buf, buf.capacity());
            if (n == -Errno.EAGAIN.number()) {
                return;
            }
            if (n <= 0 || FdPassing.send(fd, buf, n, -1) != n) {
                listener.close(fd);
            }
        }
    }

    private UnixListener start(Path path, Echo echo) throws IOException {
        UnixListener l = UnixListener.bind("test", path, "rw-rw-rw-", null, 8, System::nanoTime);
        echo.listener = l;
        return l.start(echo);
    }

    @Test
    void servesWithPeerCredentialsAndModeAndRemovesTheSocketOnClose() throws Exception {
        Path path = dir.resolve("s.sock");
        Echo echo = new Echo();
        UnixListener l = start(path, echo);
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        UnixSocketChannel ch = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()));
        UnixSockets.Credentials peer = echo.peers.poll(30, TimeUnit.SECONDS);
        assertEquals(SELF, peer.pid());
        assertEquals(new com.sun.security.auth.module.UnixSystem().getUid(), peer.uid());
        ch.write(ByteBuffer.wrap(new byte[] {42}));
        ByteBuffer got = ByteBuffer.allocate(1);
        assertEquals(1, ch.read(got));
        assertEquals(42, got.get(0));

        l.close();
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "the socket file goes");
        assertEquals(-1, ch.read(ByteBuffer.allocate(1)), "registered connections are closed");
        ch.close();
    }

    @Test
    void aStaleSocketIsReplacedButOtherFilesAreNot() throws Exception {
        Path path = dir.resolve("stale.sock");
        UnixListener first = UnixListener.bind("test", path, "rw-------", null, 8, System::nanoTime);
        // a daemon killed without stopping leaves its socket file behind: simulate by binding again
        Echo echo = new Echo();
        UnixListener second = start(path, echo);
        try (UnixSocketChannel ch = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
            assertEquals(SELF, echo.peers.poll(30, TimeUnit.SECONDS).pid());
        } finally {
            second.close();
            first.close();
        }

        Path file = dir.resolve("file.sock");
        Files.writeString(file, "not a socket");
        IOException e = assertThrows(IOException.class,
                () -> UnixListener.bind("test", file, "rw-------", null, 8, System::nanoTime));
        assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
        assertEquals("not a socket", Files.readString(file));
    }

    @Test
    void anUnknownGroupFailsTheBindAndLeavesNothing() {
        Path path = dir.resolve("g.sock");
        assertThrows(IOException.class,
                () -> UnixListener.bind("test", path, "rw-rw----", "no-such-group-ashmemd", 8, System::nanoTime));
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS));
    }
}
