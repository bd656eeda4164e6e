package org.ashmemd.daemon;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.cuse.session.CharDevice;
import org.ashmemd.cuse.session.CuseConfig;
import org.ashmemd.cuse.session.CuseSession;
import org.ashmemd.cuse.session.NegotiatedProtocol;
import org.ashmemd.cuse.session.RequestObserver;
import org.ashmemd.cuse.transport.CuseStartException;
import org.ashmemd.cuse.transport.CuseTransport;
import org.ashmemd.cuse.transport.DeviceInfo;
import org.ashmemd.cuse.transport.InFlightLog;
import org.ashmemd.cuse.transport.ReaderActivity;
import org.ashmemd.sys.DeviceFd;

/** The device's CUSE connection: session plus transport, started and stopped as one. */
final class CuseService implements AutoCloseable {
    private final CuseTransport transport;
    private final DeviceInfo info;
    private volatile boolean closing;

    private CuseService(CuseTransport transport, DeviceInfo info) {
        this.transport = transport;
        this.info = info;
    }

    static CuseService start(String name, int devMajor, int devMinor, int workers, int pageSize, CharDevice device,
            RequestObserver observer, long timeoutSeconds, Consumer<String> onLost) throws Daemon.StartException {
        CuseSession session = new CuseSession(new CuseConfig(name, devMajor, devMinor, pageSize), device, observer);
        CuseTransport transport;
        try {
            transport = CuseTransport.start(session, workers);
        } catch (CuseStartException e) {
            throw new Daemon.StartException(Sysexits.UNAVAILABLE, e.getMessage());
        }
        DeviceInfo info;
        try {
            info = transport.started().get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            transport.close();
            throw new Daemon.StartException(Sysexits.UNAVAILABLE, e.getCause().getMessage());
        } catch (TimeoutException e) {
            transport.close();
            throw new Daemon.StartException(Sysexits.UNAVAILABLE,
                    "the kernel did not create /dev/" + name + " within " + timeoutSeconds + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            transport.close();
            throw new Daemon.StartException(Sysexits.SOFTWARE, "interrupted while starting");
        }
        CuseService s = new CuseService(transport, info);
        transport.stopped().thenRun(() -> {
            if (!s.closing) {
                onLost.accept("every reader of /dev/cuse stopped (the connection was aborted)");
            }
        });
        return s;
    }

    /**
     * Serves the device whose channel a previous daemon handed over, with the protocol it
     * settled in CUSE_INIT; checks that sysfs still shows the device under its numbers.
     */
    static CuseService resume(String name, DeviceFd channelFd, NegotiatedProtocol settled, int devMajor, int devMinor,
            int workers, int pageSize, CharDevice device, RequestObserver observer, InFlightLog inFlight,
            Consumer<String> onLost) throws Daemon.StartException {
        DeviceInfo info;
        try {
            info = DeviceInfo.parse(name, java.nio.file.Files.readString(
                    CuseTransport.SYSFS_CLASS.resolve(DeviceInfo.sysfsName(name)).resolve("dev")));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new Daemon.StartException(Sysexits.UNAVAILABLE, "a /dev/cuse channel was handed over, but"
                    + " the device /dev/" + name + " is not in sysfs (" + e.getMessage() + ")");
        }
        if (info.major() != devMajor || info.minor() != devMinor) {
            throw new Daemon.StartException(Sysexits.UNAVAILABLE, "the handed-over device /dev/" + name + " is "
                    + info.numbers() + " in sysfs, but the restart state says " + devMajor + ":" + devMinor);
        }
        CuseSession session = new CuseSession(new CuseConfig(name, devMajor, devMinor, pageSize), device, observer);
        session.resume(settled);
        CuseTransport transport = CuseTransport.adopt(session, workers, channelFd, info, inFlight);
        CuseService s = new CuseService(transport, info);
        transport.stopped().thenRun(() -> {
            if (!s.closing) {
                onLost.accept("every reader of /dev/cuse stopped (the connection was aborted)");
            }
        });
        return s;
    }

    /**
     * Starts reading requests of a resumed device: the daemon does it last, once everything
     * else is up (the requests callers made meanwhile waited in the kernel).
     */
    void serve() {
        transport.serve();
    }

    /** What CUSE_INIT settled. */
    NegotiatedProtocol negotiated() {
        return transport.session().negotiated().orElseThrow();
    }

    void setInFlightLog(InFlightLog log) {
        transport.setInFlightLog(log);
    }

    /** The /dev/cuse descriptor. */
    int channelFd() {
        return transport.fd().number();
    }

    /**
     * Stops serving and leaves the device to the next daemon: in-flight requests are answered,
     * the channel stays open. False when a reader did not finish in time.
     */
    boolean handOver(java.time.Duration timeout) {
        closing = true;
        return transport.handOver(timeout);
    }

    int major() {
        return info.major();
    }

    int minor() {
        return info.minor();
    }

    /** Which readers are inside a request and since when. */
    ReaderActivity activity() {
        return transport.activity();
    }

    @Override
    public void close() {
        closing = true;
        transport.close();
    }
}
