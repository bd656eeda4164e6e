package org.ashmemd.daemon;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.cuse.session.CharDevice;
import org.ashmemd.cuse.session.CuseConfig;
import org.ashmemd.cuse.session.CuseSession;
import org.ashmemd.cuse.session.RequestObserver;
import org.ashmemd.cuse.transport.CuseStartException;
import org.ashmemd.cuse.transport.CuseTransport;
import org.ashmemd.cuse.transport.DeviceInfo;
import org.ashmemd.cuse.transport.ReaderActivity;

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
