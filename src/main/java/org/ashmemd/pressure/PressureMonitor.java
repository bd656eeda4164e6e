package org.ashmemd.pressure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.EventFd;
import org.ashmemd.sys.LibC;
import org.ashmemd.sys.PressureFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives unpinned memory back when the host runs short, as the driver's shrinker did: a PSI
 * trigger on the memory pressure file wakes one thread, which purges the least recently unpinned
 * ranges in bursts until pressure eases ({@link PurgePolicy}); the same thread enforces the
 * optional soft limit on unpinned memory. Without PSI (a kernel without CONFIG_PSI, or booted
 * with psi=0) it logs one warning and only the soft limit remains.
 *
 * <p>The thread sleeps in poll(2) on the trigger and on an eventfd; {@link #close()} wakes it
 * through the eventfd (interrupting a thread in a native call does nothing) and joins it.
 */
public final class PressureMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PressureMonitor.class);
    public static final Path PROC_PRESSURE_MEMORY = Path.of("/proc/pressure/memory");
    /** Time between a burst and the measurement that decides on the next one. */
    public static final long DEFAULT_SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int EINTR = Errno.EINTR.number();

    private final PressureConfig config;
    private final Path psiFile;
    private final PurgeTarget target;
    private final PurgePolicy policy;
    private final AtomicBoolean softLimitPending = new AtomicBoolean();
    private final Object lifecycle = new Object();

    // Guarded by lifecycle.
    private boolean started;
    private boolean closed;
    private int wakeFd = -1;
    private int psiFd = -1;
    private Thread thread;

    private volatile boolean stopping;
    private volatile boolean psiActive;
    private volatile boolean softLimitActive;

    /** Watches {@code /proc/pressure/memory}. */
    public PressureMonitor(PressureConfig config, PurgeTarget target, int pageSize) {
        this(config, target, pageSize, PROC_PRESSURE_MEMORY, DEFAULT_SETTLE_NANOS);
    }

    /**
     * @param psiFile a PSI memory pressure file: {@code /proc/pressure/memory}, or a cgroup's
     *                {@code memory.pressure} to react to one group's pressure only
     */
    public PressureMonitor(PressureConfig config, PurgeTarget target, int pageSize, Path psiFile, long settleNanos) {
        this.config = config;
        this.psiFile = psiFile;
        this.target = target;
        this.policy = new PurgePolicy(target, pageSize, config, settleNanos);
    }

    /**
     * Registers the trigger (or logs why it cannot) and starts the thread if there is anything to
     * watch. Returns this.
     *
     * @throws IllegalStateException when called twice or when no eventfd can be made
     */
    public PressureMonitor start() {
        synchronized (lifecycle) {
            if (started || closed) {
                throw new IllegalStateException("the pressure monitor was already started or closed");
            }
            started = true;
            if (config.watchesPressure()) {
                psiFd = registerOrExplain();
                psiActive = psiFd >= 0;
            } else {
                log.info("purging unpinned memory under memory pressure is off");
            }
            if (!psiActive && !config.hasSoftLimit()) {
                return this;
            }
            try {
                wakeFd = EventFd.create();
            } catch (ErrnoException e) {
                Descriptors.close(psiFd);
                psiFd = -1;
                psiActive = false;
                throw new IllegalStateException("cannot start the pressure monitor: " + e.getMessage(), e);
            }
            softLimitActive = config.hasSoftLimit();
            if (softLimitActive) {
                log.info("unpinned memory over {} MiB is purged at once, oldest first",
                        String.format(java.util.Locale.ROOT, "%.1f", config.unpinnedSoftLimitBytes() / 1048576.0));
            }
            int eventFd = wakeFd;
            int triggerFd = psiFd;
            thread = new Thread(() -> run(eventFd, triggerFd), "ashmemd-pressure");
            thread.setDaemon(true);
            thread.start();
            return this;
        }
    }

    private int registerOrExplain() {
        PressureTrigger t = config.trigger();
        String without = "; unpinned memory is purged only on PURGE_ALL_CACHES and 'ashmemctl purge'"
                + (config.hasSoftLimit() ? " and over the soft limit" : "");
        if (!Files.exists(psiFile)) {
            log.warn("no {}: this kernel reports no memory pressure (built without CONFIG_PSI, or booted with "
                    + "psi=0){}", psiFile, without);
            return -1;
        }
        try {
            int fd = PressureFiles.registerTrigger(psiFile, t.kernelText());
            log.info("purging unpinned memory under memory pressure: trigger '{}' on {}", t, psiFile);
            return fd;
        } catch (ErrnoException e) {
            String why;
            if (e.errno() == Errno.EOPNOTSUPP.number()) {
                why = "PSI is disabled in this kernel (psi=0)";
            } else if (!t.unprivilegedWindow() && !PressureFiles.hasCapSysResource()) {
                why = "without CAP_SYS_RESOURCE the kernel accepts only windows that are a multiple of 2s ("
                        + e.getMessage() + ")";
            } else {
                why = e.getMessage();
            }
            log.warn("cannot watch memory pressure with the trigger '{}': {}{}", t, why, without);
            return -1;
        }
    }

    private void run(int eventFd, int pollPsiFd) {
        PressureFiles.PollSet fds = new PressureFiles.PollSet(2);
        PressureFiles.PollSet pauseFds = new PressureFiles.PollSet(1);
        EventFd.Scratch scratch = new EventFd.Scratch();
        PurgePolicy.Pause pause = nanos -> pause(eventFd, pauseFds, scratch, nanos);
        PurgePolicy.PsiSource psi = this::readPsi;
        int psiWatched = pollPsiFd;
        try {
            while (!stopping) {
                int n = psiWatched >= 0 ? 2 : 1;
                fds.set(0, eventFd, LibC.POLLIN);
                if (n == 2) {
                    // Only POLLPRI: the trigger's file also reports POLLIN|POLLOUT all the time.
                    fds.set(1, psiWatched, LibC.POLLPRI);
                }
                int r = fds.poll(n, -1);
                if (r == -EINTR) {
                    continue;
                }
                if (r < 0) {
                    log.error("memory pressure monitoring stops: poll failed with {}", Errno.nameOf(-r));
                    psiActive = false;
                    return;
                }
                if ((fds.revents(0) & LibC.POLLIN) != 0) {
                    EventFd.drain(eventFd, scratch);
                }
                if (stopping) {
                    return;
                }
                if (n == 2) {
                    short rev = fds.revents(1);
                    if ((rev & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0) {
                        log.warn("the memory pressure trigger on {} is gone; purging under memory pressure stops",
                                psiFile);
                        psiActive = false;
                        psiWatched = -1;
                    } else if ((rev & LibC.POLLPRI) != 0) {
                        guarded(() -> policy.onPressureEvent(psi, pause));
                    }
                }
                if (softLimitPending.getAndSet(false)) {
                    guarded(policy::enforceSoftLimit);
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("memory pressure monitoring failed", e);
            psiActive = false;
        }
    }

    /** A failed purge (the memory layer threw) is logged; the monitor goes on. */
    private static void guarded(LongSupplier purge) {
        try {
            purge.getAsLong();
        } catch (RuntimeException e) {
            log.warn("purge failed: {}", e.toString());
        }
    }

    /** Sleeps in poll on the eventfd; false as soon as the monitor is stopping. */
    private boolean pause(int eventFd, PressureFiles.PollSet pauseFds, EventFd.Scratch scratch, long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (!stopping) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            pauseFds.set(0, eventFd, LibC.POLLIN);
            int r = pauseFds.poll(1, (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            if (r > 0) {
                EventFd.drain(eventFd, scratch); // a soft limit request: its flag is still set
            } else if (r < 0 && r != -EINTR) {
                return true;
            }
        }
        return false;
    }

    private PsiReading readPsi() {
        try {
            return PsiReading.parse(Files.readString(psiFile), System.nanoTime());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Call after each UNPIN: when unpinned memory is over the soft limit, asks the monitor's thread
     * to purge down to it. Cheap when under the limit (one call of the unpinned-pages supplier),
     * never purges on the calling thread.
     */
    public void checkSoftLimit() {
        if (!softLimitActive || !policy.overSoftLimit()) {
            return;
        }
        if (softLimitPending.compareAndSet(false, true)) {
            synchronized (lifecycle) {
                if (wakeFd >= 0 && !closed) {
                    EventFd.signal(wakeFd);
                }
            }
        }
    }

    /** Whether a PSI trigger is registered and watched now. */
    public boolean watchingPressure() {
        return psiActive;
    }

    /**
     * The pressure section of the daemon's status: enabled while the trigger is watched; bursts
     * and pages count pressure and soft limit purges together, as the target counted them.
     */
    public DaemonStatus.Pressure pressure() {
        PurgeCount p = target.purged(PurgeCause.PRESSURE);
        PurgeCount s = target.purged(PurgeCause.SOFT_LIMIT);
        return new DaemonStatus.Pressure(psiActive, config.trigger() != null ? config.trigger().toString() : "off",
                policy.events(), p.bursts() + s.bursts(), p.pages() + s.pages(), config.unpinnedSoftLimitBytes());
    }

    /** Stops the thread and closes the trigger. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            stopping = true;
            softLimitActive = false;
            if (wakeFd >= 0) {
                EventFd.signal(wakeFd);
            }
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (lifecycle) {
            Descriptors.close(psiFd);
            psiFd = -1;
            psiActive = false;
            Descriptors.close(wakeFd);
            wakeFd = -1;
        }
    }
}
