package org.ashmemd.cuse.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.ashmemd.cuse.session.CuseConfig;
import org.ashmemd.cuse.session.CuseSession;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.DeviceFd;
import org.ashmemd.sys.IoBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The /dev/cuse channel of one device: the descriptor and the reader threads that feed its
 * requests to a {@link CuseSession}. Each reader blocks in read(2), hands the frame to the
 * session and writes the reply with one write(2).
 *
 * <p>The descriptor is a {@link DeviceFd}, never a {@code FileChannel}: interrupting a thread
 * blocked in a channel closes it, and with the last reference the kernel destroys the device.
 * Readers are stopped by aborting the connection through sysfs, or, for a hand-over to the next
 * server, through the descriptor's stop signal, which keeps the connection.
 */
public final class CuseTransport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CuseTransport.class);

    public static final String DEFAULT_CHANNEL = "/dev/cuse";
    public static final Path SYSFS_CLASS = Path.of("/sys/class/cuse");
    private static final Path PROC_DEVICES = Path.of("/proc/devices");
    public static final int MAX_READERS = 64;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** Consecutive failed reads after which a reader gives up instead of spinning. */
    private static final int MAX_CONSECUTIVE_READ_FAILURES = 100;

    private final CuseSession session;
    private final CuseConfig config;
    private final String channelPath;
    private final Path sysfsClass;
    private final Path procDevices;
    private final DeviceFd fd;
    private final List<Thread> readers = new ArrayList<>();
    private final ReaderActivity activity;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicBoolean goneLogged = new AtomicBoolean();
    private final AtomicReference<String> goneReason = new AtomicReference<>();
    private final AtomicBoolean channelClosed = new AtomicBoolean();
    private final CompletableFuture<DeviceInfo> started = new CompletableFuture<>();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile boolean initRead;
    private volatile boolean closing;
    private volatile boolean handingOver;
    private volatile InFlightLog inFlight = InFlightLog.NONE;
    private boolean closed;

    private CuseTransport(CuseSession session, String channelPath, Path sysfsClass, Path procDevices, DeviceFd fd,
            int readerThreads) {
        this.session = session;
        this.config = session.config();
        this.channelPath = channelPath;
        this.sysfsClass = sysfsClass;
        this.procDevices = procDevices;
        this.fd = fd;
        String[] names = new String[readerThreads];
        for (int i = 0; i < readerThreads; i++) {
            names[i] = "cuse-reader-" + (i + 1);
        }
        this.activity = new ReaderActivity(names, System::nanoTime);
    }

    /**
     * Opens {@link #DEFAULT_CHANNEL} and starts {@code readerThreads} readers; see
     * {@link #start(CuseSession, int, String)}.
     */
    public static CuseTransport start(CuseSession session, int readerThreads) throws CuseStartException {
        return start(session, readerThreads, DEFAULT_CHANNEL);
    }

    /**
     * Opens the CUSE channel at {@code channelPath} and starts {@code readerThreads} readers
     * ({@code cuse-reader-1}…). The kernel creates the device while the first reader answers
     * CUSE_INIT; {@link #started()} tells when it exists or why it does not.
     *
     * @throws CuseStartException when the channel cannot be opened, with the reason and the fix
     */
    public static CuseTransport start(CuseSession session, int readerThreads, String channelPath)
            throws CuseStartException {
        return start(session, readerThreads, channelPath, SYSFS_CLASS, PROC_DEVICES);
    }

    /** With another sysfs class directory and /proc/devices, for tests. */
    static CuseTransport start(CuseSession session, int readerThreads, String channelPath, Path sysfsClass,
            Path procDevices) throws CuseStartException {
        if (readerThreads < 1 || readerThreads > MAX_READERS) {
            throw new IllegalArgumentException("reader threads must be 1.." + MAX_READERS + ": " + readerThreads);
        }
        DeviceFd fd;
        try {
            fd = DeviceFd.openReadWrite(channelPath);
        } catch (ErrnoException e) {
            throw CuseStartException.openFailed(channelPath, e.errno());
        }
        CuseTransport t = new CuseTransport(session, channelPath, sysfsClass, procDevices, fd, readerThreads);
        t.startReaders();
        return t;
    }

    /**
     * Takes over a device whose channel a previous server handed over ({@code fd}, open on
     * {@code /dev/cuse}, CUSE_INIT answered long ago; {@code session} resumed with what it
     * settled): {@link #started()} is complete at once with {@code device}; {@link #serve()}
     * starts the readers.
     */
    public static CuseTransport adopt(CuseSession session, int readerThreads, DeviceFd fd, DeviceInfo device,
            InFlightLog inFlight) {
        if (readerThreads < 1 || readerThreads > MAX_READERS) {
            throw new IllegalArgumentException("reader threads must be 1.." + MAX_READERS + ": " + readerThreads);
        }
        if (!session.initialized()) {
            throw new IllegalArgumentException("the session must be resumed before it serves a handed-over channel");
        }
        CuseTransport t = new CuseTransport(session, DEFAULT_CHANNEL, SYSFS_CLASS, PROC_DEVICES, fd, readerThreads);
        t.initRead = true;
        t.inFlight = inFlight;
        t.started.complete(device);
        return t;
    }

    /**
     * Starts the readers of an adopted channel ({@link #adopt}); until then requests wait in the
     * kernel. Once only.
     */
    public synchronized void serve() {
        if (!readers.isEmpty()) {
            throw new IllegalStateException("the readers run already");
        }
        startReaders();
    }

    /**
     * Notes each request's id and reply in {@code log} from now on; set it before the readers
     * start serving requests that matter (right after start, or through adopt).
     */
    public void setInFlightLog(InFlightLog log) {
        this.inFlight = log;
    }

    /**
     * Writes one frame (a reply or a notification) on a channel no reader serves yet; returns 0
     * or the errno the kernel answered (ENOENT: no such request waits any more; EINVAL: e.g. a
     * notification this kernel does not know).
     */
    public static int writeFrame(DeviceFd fd, ByteBuffer frame) {
        ByteBuffer direct = ByteBuffer.allocateDirect(frame.remaining());
        direct.put(frame.duplicate()).flip();
        long w = fd.write(direct, direct.remaining());
        return w == direct.remaining() ? 0 : w < 0 ? (int) -w : Errno.EIO.number();
    }

    /** The channel's descriptor, to park it where it outlives this process. */
    public DeviceFd fd() {
        return fd;
    }

    /**
     * Stops serving without ending the device: the readers finish the request each is in,
     * answer it, and stop before reading another; the connection and the channel stay open
     * (for the next server, to whom the channel is handed over). Requests arriving meanwhile
     * wait in the kernel. Returns false when a reader did not stop within the timeout.
     */
    public boolean handOver(Duration timeout) {
        synchronized (this) {
            if (closed) {
                return running.get() == 0;
            }
            closed = true;
            closing = true;
            handingOver = true;
        }
        fd.stopWaiters();
        if (readers.contains(Thread.currentThread())) {
            return false;
        }
        return awaitReaders(timeout);
    }

    private void startReaders() {
        int count = activity.readers();
        running.set(count);
        for (int i = 0; i < count; i++) {
            int slot = i;
            Thread t = new Thread(() -> readLoop(slot), "cuse-reader-" + (i + 1));
            t.setDaemon(false);
            readers.add(t);
        }
        readers.forEach(Thread::start);
    }

    /**
     * Completes once the kernel has created the device, with its numbers; fails with a
     * {@link CuseStartException} when it refused it. Actions added without an async method
     * run on a reader thread: keep them short.
     */
    public CompletableFuture<DeviceInfo> started() {
        return started;
    }

    /** Completes when every reader has stopped: after {@link #close()} or when the connection died. */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    public CuseSession session() {
        return session;
    }

    /** Which readers are inside a request and since when. */
    public ReaderActivity activity() {
        return activity;
    }

    private void readLoop(int slot) {
        IoBuffer requestBuffer = new IoBuffer(config.requestBufferSize());
        IoBuffer replyBuffer = new IoBuffer(config.replyBufferSize());
        ByteBuffer request = requestBuffer.bytes();
        ByteBuffer reply = replyBuffer.bytes();
        int failures = 0;
        // After a reply, the caller's next request is often queued already (the reply woke it
        // while this reader was still on its way back): read it before waiting, so that the
        // reader the request woke finds the channel empty in the kernel and sleeps on there,
        // instead of both returning from epoll and one reading EAGAIN.
        boolean readFirst = false;
        try (DeviceFd.Waiter waiter = fd.waiter()) {
            while (true) {
                // Waits in epoll, not in read: a reader blocked in read(2) can only be woken by
                // aborting the connection, and a hand-over must keep it.
                boolean speculative = readFirst && !handingOver && !closing;
                int ready = speculative ? DeviceFd.Waiter.READABLE : waiter.await();
                readFirst = false;
                if (ready < 0 && -ready != Errno.EINTR.number()) {
                    log.error("waiting for {} (epoll_wait) failed: {}; reader stops", channelPath, Errno.nameOf(-ready));
                    return;
                }
                if (ready == DeviceFd.Waiter.STOPPED) {
                    return; // handOver(): the request in hand was answered
                }
                if (ready < 0) {
                    continue;
                }
                long n = speculative ? fd.readIfReady(requestBuffer) : fd.read(requestBuffer);
                if (speculative && n < 0) {
                    continue; // nothing there yet: wait
                }
                if (n == 0) {
                    // /dev/cuse never ends a read this way; anything else has nothing more to say
                    connectionGone("end of file");
                    return;
                }
                if (n < 0) {
                    int errno = (int) -n;
                    switch (ChannelErrors.onRead(errno)) {
                        case RETRY:
                            continue;
                        case GONE:
                            connectionGone(Errno.nameOf(errno));
                            return;
                        case FATAL:
                            log.error("reading {} failed with {}: the {}-byte buffer is too small for the kernel;"
                                    + " reader stops", channelPath, Errno.nameOf(errno), request.capacity());
                            failStart(new CuseStartException("reading " + channelPath + " failed with "
                                    + Errno.nameOf(errno)));
                            return;
                        default:
                            if (++failures >= MAX_CONSECUTIVE_READ_FAILURES) {
                                log.error("reading {} failed {} times in a row ({}); reader stops", channelPath,
                                        failures, Errno.nameOf(errno));
                                return;
                            }
                            log.warn("reading {} failed: {}", channelPath, Errno.nameOf(errno));
                            continue;
                    }
                }
                failures = 0;
                readFirst = true;
                request.clear().limit((int) n);
                int opcode = InHeader.peekOpcode(request);
                boolean init = opcode == Opcode.CUSE_INIT.number();
                if (init) {
                    initRead = true;
                }
                long started = activity.begin(slot, opcode);
                boolean written = false;
                InFlightLog log = inFlight;
                long unique = InHeader.hasUnique(request) ? InHeader.peekUnique(request) : 0;
                try {
                    log.begin(slot, unique);
                    int len = unique < 0 ? log.replay(unique, reply) : 0; // bit 63: FUSE_UNIQUE_RESEND
                    if (len == 0) {
                        len = session.handle(request, reply, started);
                    }
                    if (len > 0) {
                        log.answered(slot, reply.duplicate().position(0).limit(len));
                    }
                    written = len > 0 && writeReply(replyBuffer, len);
                } finally {
                    log.end(slot);
                    activity.end(slot);
                    if (init) {
                        initAnswered(written);
                    }
                }
            }
        } catch (ErrnoException e) {
            log.error("CUSE reader {} cannot wait for requests: {}", Thread.currentThread().getName(), e.getMessage());
        } catch (RuntimeException | Error e) {
            // logged here once; stopped() tells the daemon when no reader is left
            log.error("CUSE reader {} died", Thread.currentThread().getName(), e);
        } finally {
            readerStopped();
        }
    }

    private boolean writeReply(IoBuffer reply, int len) {
        while (true) {
            long w = fd.write(reply, len);
            if (w == len) {
                return true;
            }
            if (w >= 0) {
                log.error("short write of a reply to {}: {} of {} bytes", channelPath, w, len);
                return false;
            }
            int errno = (int) -w;
            switch (ChannelErrors.onWrite(errno)) {
                case RETRY:
                    continue;
                case STALE:
                    log.debug("reply of {} bytes not delivered: the request is gone ({})", len, Errno.nameOf(errno));
                    return false;
                default:
                    log.error("the kernel refused a reply of {} bytes: {}", len, Errno.nameOf(errno));
                    return false;
            }
        }
    }

    /**
     * The kernel has run the whole device creation inside the INIT write, so the device exists
     * now or never will.
     */
    private void initAnswered(boolean written) {
        if (!written) {
            failStart(new CuseStartException("CUSE_INIT of '" + config.deviceName() + "' was not answered"));
            return;
        }
        Path devFile = sysfsClass.resolve(DeviceInfo.sysfsName(config.deviceName())).resolve("dev");
        try {
            DeviceInfo info = DeviceInfo.parse(config.deviceName(), Files.readString(devFile, StandardCharsets.US_ASCII));
            if (config.devMajor() != 0 && (info.major() != config.devMajor() || info.minor() != config.devMinor())) {
                // a device of that name with other numbers is another server's: ours was refused
                failStart(refused());
                return;
            }
            log.info("CUSE device /dev/{} is up ({}), protocol 7.{}", info.name(), info.numbers(),
                    session.negotiatedMinor());
            started.complete(info);
        } catch (NoSuchFileException e) {
            if (Files.isDirectory(sysfsClass)) {
                failStart(refused());
            } else {
                failStart(new CuseStartException("cannot confirm CUSE device '" + config.deviceName() + "': "
                        + sysfsClass + " is missing; is sysfs mounted?"));
            }
        } catch (IOException | IllegalArgumentException e) {
            failStart(new CuseStartException("cannot read " + devFile + ": " + e.getMessage(), e));
        }
    }

    /** Why the kernel did not create the device: the name or, for a static major, the number. */
    private CuseStartException refused() {
        boolean nameTaken = Files.exists(sysfsClass.resolve(DeviceInfo.sysfsName(config.deviceName())));
        List<String> holders = List.of();
        if (config.devMajor() != 0) {
            try {
                holders = CuseStartException.charDeviceHolders(
                        Files.readString(procDevices, StandardCharsets.US_ASCII), config.devMajor());
            } catch (IOException e) {
                log.debug("cannot read {}: {}", procDevices, e.toString());
            }
        }
        return CuseStartException.refused(config.deviceName(), config.devMajor(), config.devMinor(), nameTaken, holders);
    }

    private void connectionGone(String reason) {
        // A refused INIT aborts the connection inside the INIT reader's write(): the other readers
        // wake with ENODEV before that write returns. The start is decided once every reader has
        // stopped (readerStopped), when the INIT reader has said why (initAnswered).
        goneReason.compareAndSet(null, reason);
        if (goneLogged.compareAndSet(false, true)) {
            if (closing || !isUp()) {
                // a device that never came up: the start failure says why, once
                log.debug("CUSE connection of /dev/{} aborted", config.deviceName());
            } else {
                log.error("CUSE connection of /dev/{} ended ({}); the device is no longer served",
                        config.deviceName(), reason);
            }
        }
    }

    /** Fails {@link #started()}; whoever waits for it reports the reason. */
    private void failStart(CuseStartException e) {
        if (started.completeExceptionally(e)) {
            log.debug("start failed: {}", e.getMessage());
        }
    }

    private boolean isUp() {
        return started.isDone() && !started.isCompletedExceptionally();
    }

    private void readerStopped() {
        if (running.decrementAndGet() == 0) {
            if (!started.isDone()) {
                String reason = goneReason.get();
                failStart(initRead ? refused()
                        : new CuseStartException("the CUSE connection ended (" + (reason == null ? "readers stopped" : reason)
                                + ") before CUSE_INIT was answered"));
            }
            if (closing && !handingOver) {
                closeChannel();
            }
            stopped.complete(null);
        }
    }

    /**
     * Stops the device: aborts the connection through sysfs (the blocked readers wake with
     * ENODEV and callers' pending requests fail), waits for the readers and closes the channel,
     * which removes the device node. Idempotent; from a reader thread it does not wait, and the
     * last reader to stop closes the channel.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        if (running.get() > 0) {
            abortConnection();
        }
        failStart(new CuseStartException("CUSE transport closed before the device was up"));
        if (readers.contains(Thread.currentThread())) {
            return;
        }
        if (awaitReaders(STOP_TIMEOUT)) {
            closeChannel();
        } else {
            // closing under a blocked reader would not free the device, and the descriptor
            // number could be reused under it
            log.warn("{} CUSE readers still blocked after {} s; leaving {} open", running.get(),
                    STOP_TIMEOUT.toSeconds(), channelPath);
        }
    }

    private void closeChannel() {
        if (channelClosed.compareAndSet(false, true)) {
            fd.close();
            log.debug("closed {}", channelPath);
        }
    }

    private void abortConnection() {
        DeviceInfo ours = isUp() ? started.join() : null;
        if (ours == null) {
            // without a device of ours, the sysfs entry of that name may be another server's; a
            // refused INIT has aborted the connection already
            log.debug("CUSE device '{}' never came up; not aborting its connection", config.deviceName());
            return;
        }
        Path dir = sysfsClass.resolve(DeviceInfo.sysfsName(ours.name()));
        try {
            DeviceInfo now = DeviceInfo.parse(ours.name(), Files.readString(dir.resolve("dev"), StandardCharsets.US_ASCII));
            if (now.major() != ours.major() || now.minor() != ours.minor()) {
                log.warn("{} now belongs to device {}; not aborting it", dir, now.numbers());
                return;
            }
            Files.writeString(dir.resolve("abort"), "1", StandardCharsets.US_ASCII);
        } catch (IOException | IllegalArgumentException e) {
            log.warn("cannot abort CUSE connection through {}: {}", dir, e.toString());
        }
    }

    private boolean awaitReaders(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            for (Thread t : readers) {
                while (t.isAlive()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    try {
                        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            return running.get() == 0;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
