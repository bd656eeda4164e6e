package org.ashmemd.restart;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.FdPassing;
import org.ashmemd.sys.Processes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ashmemd --hold}: the file descriptor store without systemd. It runs the daemon as its
 * child with {@code --fd-store} and {@code $NOTIFY_SOCKET} naming its own datagram socket, where
 * it keeps what the daemon parks ({@code FDSTORE=1}/{@code FDNAME=}, dropped on
 * {@code FDSTOREREMOVE=1}), the same subset of systemd's protocol the daemon speaks to systemd.
 * When the daemon exits, however (crash, {@code kill -9}, planned restart), it starts it again
 * with the descriptors as {@code $LISTEN_FDS}/{@code $LISTEN_FDNAMES}. SIGHUP restarts the daemon
 * (SIGTERM to it, then a new one); SIGTERM or SIGINT stop the daemon and then drop the
 * descriptors, which removes the device.
 */
public final class Holder {
    private static final Logger log = LoggerFactory.getLogger(Holder.class);
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;
    private static final long STOP_TIMEOUT_MILLIS = 30_000;
    private static final long MIN_RUN_MILLIS = 10_000;
    private static final int MAX_BACKOFF_MILLIS = 10_000;
    private static final int MAX_QUICK_FAILURES = 5;

    private final Path socketPath;
    private final List<String> daemonArgs;
    /** Parked descriptors by name, in the order they came. */
    private final Map<String, List<Integer>> store = new LinkedHashMap<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
    private int socket = -1;
    private volatile boolean stopRequested;
    private volatile boolean restartRequested;

    public Holder(Path socketPath, List<String> daemonArgs) {
        this.socketPath = socketPath;
        this.daemonArgs = List.copyOf(daemonArgs);
    }

    /** Runs until SIGTERM or SIGINT; returns the exit status. */
    public int run() {
        try {
            Files.createDirectories(socketPath.getParent());
            Files.deleteIfExists(socketPath); // a holder killed before left it
            socket = Processes.bindDatagram(socketPath.toString());
            Files.setPosixFilePermissions(socketPath, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (java.io.IOException | ErrnoException e) {
            log.error("cannot open the holder's socket {}: {}", socketPath, e.getMessage());
            return 69;
        }
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> stopRequested = true);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> stopRequested = true);
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> restartRequested = true);
        int backoff = 1000;
        int quickFailures = 0;
        try {
            while (!stopRequested) {
                long started = System.currentTimeMillis();
                long pid;
                try {
                    pid = spawn();
                } catch (ErrnoException e) {
                    log.error("cannot start the daemon: {}", e.getMessage());
                    return 69;
                }
                int status = supervise(pid);
                receiveAll();
                if (stopRequested) {
                    break;
                }
                int code = (status >> 8) & 0xff;
                int sig = status & 0x7f;
                log.warn("the daemon (pid {}) {}; starting it again with {} parked descriptors", pid,
                        sig != 0 ? "was killed by signal " + sig : "exited with status " + code, count());
                if (sig == 0 && (code == 64 || code == 77)) {
                    log.error("the daemon refuses its options or permissions (status {}); not trying again", code);
                    return code;
                }
                boolean quick = System.currentTimeMillis() - started < MIN_RUN_MILLIS && !restartRequested;
                quickFailures = quick ? quickFailures + 1 : 0;
                if (quickFailures >= MAX_QUICK_FAILURES) {
                    log.error("the daemon failed {} times in a row within {} s of its start; giving up", quickFailures,
                            MIN_RUN_MILLIS / 1000);
                    return sig != 0 ? 70 : code;
                }
                backoff = quick ? Math.min(backoff * 2, MAX_BACKOFF_MILLIS) : 1000;
                sleepUnlessStopped(restartRequested ? 0 : backoff);
                restartRequested = false;
            }
            return 0;
        } finally {
            dropAll();
            Descriptors.close(socket);
            try {
                Files.deleteIfExists(socketPath);
            } catch (java.io.IOException e) {
                log.debug("cannot remove {}: {}", socketPath, e.getMessage());
            }
        }
    }

    /** Serves the daemon's messages until it exits; returns its wait status. */
    private int supervise(long pid) {
        boolean termSent = false;
        long killAt = Long.MAX_VALUE;
        while (true) {
            Processes.awaitReadable(socket, 200);
            receiveAll();
            int status = Processes.exited(pid);
            if (status >= 0) {
                return status;
            }
            if ((stopRequested || restartRequested) && !termSent) {
                log.info("{} the daemon (pid {})", stopRequested ? "stopping" : "restarting", pid);
                Processes.signal(pid, SIGTERM);
                termSent = true;
                killAt = System.currentTimeMillis() + STOP_TIMEOUT_MILLIS;
            }
            if (System.currentTimeMillis() > killAt) {
                log.warn("the daemon (pid {}) did not stop within {} s; killing it", pid, STOP_TIMEOUT_MILLIS / 1000);
                Processes.signal(pid, SIGKILL);
                killAt = Long.MAX_VALUE;
            }
        }
    }

    private long spawn() throws ErrnoException {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            if (!e.getKey().startsWith("LISTEN_") && !e.getKey().equals("NOTIFY_SOCKET")) {
                env.add(e.getKey() + "=" + e.getValue());
            }
        }
        env.add("NOTIFY_SOCKET=" + socketPath);
        List<Integer> fds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        store.forEach((name, list) -> list.forEach(fd -> {
            fds.add(fd);
            names.add(name);
        }));
        if (!fds.isEmpty()) {
            env.add("LISTEN_FDS=" + fds.size());
            env.add("LISTEN_FDNAMES=" + String.join(":", names));
        }
        // $LISTEN_PID must be the daemon's own pid: the shell sets it to its own and then execs
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", "LISTEN_PID=$$; export LISTEN_PID; exec \"$@\"", "sh"));
        argv.add(ProcessHandle.current().info().command().orElse("java"));
        argv.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add("org.ashmemd.daemon.AshmemDaemon");
        argv.addAll(daemonArgs);
        if (!daemonArgs.contains("--fd-store")) {
            argv.add("--fd-store");
        }
        long pid = Processes.spawn(argv, env, fds);
        log.info("started the daemon (pid {}) with {} parked descriptors", pid, fds.size());
        return pid;
    }

    /** Takes every queued message; the socket is non-blocking. */
    private void receiveAll() {
        while (true) {
            buffer.clear();
            FdPassing.Received r;
            try {
                r = FdPassing.receive(socket, buffer, 16);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EAGAIN.number() && e.errno() != Errno.EINTR.number()) {
                    log.warn("receiving on {} failed: {}", socketPath, e.getMessage());
                }
                return;
            }
            buffer.flip();
            byte[] b = new byte[buffer.remaining()];
            buffer.get(b);
            handle(new String(b, StandardCharsets.UTF_8), r.fds());
        }
    }

    void handle(String message, int[] fds) {
        boolean storeFds = false;
        boolean remove = false;
        String name = "stored";
        for (String line : message.split("\n")) {
            if (line.equals("FDSTORE=1")) {
                storeFds = true;
            } else if (line.equals("FDSTOREREMOVE=1")) {
                remove = true;
            } else if (line.startsWith("FDNAME=")) {
                name = line.substring("FDNAME=".length());
            } else if (line.startsWith("STATUS=") || line.equals("READY=1")) {
                log.info("daemon: {}", line);
            }
        }
        if (remove) {
            List<Integer> gone = store.remove(name);
            if (gone != null) {
                gone.forEach(Descriptors::close);
            }
        }
        if (storeFds && !name.contains(":")) {
            for (int fd : fds) {
                store.computeIfAbsent(name, k -> new ArrayList<>()).add(fd);
            }
        } else {
            for (int fd : fds) {
                Descriptors.close(fd);
            }
        }
    }

    private int count() {
        return store.values().stream().mapToInt(List::size).sum();
    }

    private void dropAll() {
        int n = count();
        store.values().forEach(list -> list.forEach(Descriptors::close));
        store.clear();
        if (n > 0) {
            log.info("dropped {} parked descriptors: the device and its regions are gone", n);
        }
    }

    private void sleepUnlessStopped(long millis) {
        long end = System.currentTimeMillis() + millis;
        while (!stopRequested && System.currentTimeMillis() < end) {
            receiveAll();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
