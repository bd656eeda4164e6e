package org.ashmemd.daemon;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.ashmemd.cuse.transport.ReaderActivity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's watchdog, fed from the request path: every half interval it sends {@code WATCHDOG=1}
 * unless a /dev/cuse reader has been inside one request for longer than the whole interval. Such a
 * reader has hung (a deadlock, a system call that does not return) and so has every caller
 * waiting on it; without pings systemd kills the daemon and, with {@code Restart=on-failure},
 * starts a new one. Readers blocked in read(2) wait for work and count as healthy, so an idle
 * daemon keeps pinging; a JVM that stops altogether stops pinging by itself.
 */
final class Watchdog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);

    private final Duration interval;
    private final Supplier<Optional<ReaderActivity.Busy>> longestBusy;
    private final BooleanSupplier ping;
    private boolean hung;
    private boolean pingFailed;
    private ScheduledExecutorService timer;

    /**
     * @param interval    systemd's WatchdogSec
     * @param longestBusy the reader that is inside one request longest, if any
     * @param ping        sends WATCHDOG=1; false when it could not
     */
    Watchdog(Duration interval, Supplier<Optional<ReaderActivity.Busy>> longestBusy, BooleanSupplier ping) {
        this.interval = interval;
        this.longestBusy = longestBusy;
        this.ping = ping;
    }

    /** How often {@link #check()} runs: half the interval, as sd_watchdog_enabled(3) advises. */
    Duration period() {
        return interval.dividedBy(2);
    }

    /** One round: pings when the request path is healthy. Returns whether it pinged. */
    synchronized boolean check() {
        Optional<ReaderActivity.Busy> busy = longestBusy.get();
        if (busy.isPresent() && busy.get().nanos() > interval.toNanos()) {
            if (!hung) {
                hung = true;
                ReaderActivity.Busy b = busy.get();
                log.error("{} has been inside one {} request for {} s, longer than the watchdog interval of {} s:"
                        + " the request path hangs; no more watchdog pings, so systemd restarts ashmemd",
                        b.reader(), b.request(), seconds(b.nanos()), seconds(interval.toNanos()));
            }
            return false;
        }
        if (hung) {
            hung = false;
            log.warn("the hung request finished; watchdog pings resume");
        }
        boolean sent = ping.getAsBoolean();
        if (!sent && !pingFailed) {
            log.warn("could not send a watchdog ping to systemd ($NOTIFY_SOCKET)");
        }
        pingFailed = !sent;
        return sent;
    }

    /** Pings now and then every {@link #period()}, on a thread of its own. */
    Watchdog start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "watchdog");
            t.setDaemon(true);
            return t;
        });
        long periodNanos = period().toNanos();
        timer.scheduleAtFixedRate(this::checkLogged, 0, periodNanos, TimeUnit.NANOSECONDS);
        log.info("WATCHDOG=1 every {} s while no CUSE reader is inside one request for more than {} s",
                seconds(periodNanos), seconds(interval.toNanos()));
        return this;
    }

    private void checkLogged() {
        try {
            check();
        } catch (RuntimeException e) {
            // an exception would cancel the schedule: the pings would stop for a reason systemd cannot see
            log.error("watchdog check failed", e);
        }
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
