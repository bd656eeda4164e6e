package org.ashmemd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The readers' wait: epoll on the descriptor plus the stop eventfd, on a FIFO and on a regular file. */
class DeviceFdTest {
    @TempDir
    Path dir;

    private Path fifo() throws Exception {
        Path p = dir.resolve("channel");
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        return p;
    }

    @Test
    void aWaiterWakesForDataThenReadsIt() throws Exception {
        Path p = fifo();
        DeviceFd fd = DeviceFd.openReadWrite(p.toString());
        try (DeviceFd.Waiter w = fd.waiter()) {
            CompletableFuture<Integer> woke = CompletableFuture.supplyAsync(w::await);
            try (OutputStream out = Files.newOutputStream(p)) {
                out.write(new byte[] {1, 2, 3});
            }
            assertEquals(DeviceFd.Waiter.READABLE, woke.get(10, TimeUnit.SECONDS));
            ByteBuffer buf = ByteBuffer.allocateDirect(16);
            assertEquals(3, fd.read(buf));
        } finally {
            fd.close();
        }
    }

    @Test
    void stopWakesEveryWaiterAndKeepsThemStopped() throws Exception {
        DeviceFd fd = DeviceFd.openReadWrite(fifo().toString());
        try (DeviceFd.Waiter a = fd.waiter(); DeviceFd.Waiter b = fd.waiter()) {
            CompletableFuture<Integer> wa = CompletableFuture.supplyAsync(a::await);
            CompletableFuture<Integer> wb = CompletableFuture.supplyAsync(b::await);
            fd.stopWaiters();
            assertEquals(DeviceFd.Waiter.STOPPED, wa.get(10, TimeUnit.SECONDS));
            assertEquals(DeviceFd.Waiter.STOPPED, wb.get(10, TimeUnit.SECONDS));
            assertEquals(DeviceFd.Waiter.STOPPED, a.await()); // and again: nothing drains the stop
        } finally {
            fd.close();
        }
    }

    @Test
    void aRegularFileIsAlwaysReadableAsInPoll() throws Exception {
        Path file = Files.write(dir.resolve("frames"), new byte[] {7});
        DeviceFd fd = DeviceFd.openReadWrite(file.toString());
        try (DeviceFd.Waiter w = fd.waiter()) {
            assertEquals(DeviceFd.Waiter.READABLE, w.await());
            fd.stopWaiters();
            assertEquals(DeviceFd.Waiter.STOPPED, w.await());
        } finally {
            fd.close();
        }
    }
}
