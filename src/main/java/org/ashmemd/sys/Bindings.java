package org.ashmemd.sys;

/**
 * The daemon's libc bindings, made ahead of their first use on a thread of their own. jnr
 * generates the classes behind {@link LibC}, jnr-posix and sd_notify's calls when they are first
 * touched: a large part of the daemon's start (under an emulator, seconds), and none of it in a
 * class-data-sharing archive, since the classes are made at run time. {@link #prepare()} starts
 * that work while the main thread parses the command line and configures logging, which need no
 * native call; {@link #await()} waits for it before the first one, so that only one thread at a
 * time ever initialises jnr.
 */
public final class Bindings {
    private final Thread thread;
    private volatile Throwable failure;

    private Bindings() {
        thread = new Thread(this::make, "native-bindings");
        thread.setDaemon(true); // --help and --version exit without waiting for it
    }

    /** Starts making the bindings; no native call may be made before {@link #await()}. */
    public static Bindings prepare() {
        Bindings b = new Bindings();
        b.thread.start();
        return b;
    }

    private void make() {
        try {
            SystemInfo.pageSize(); // LibC and jnr-posix
            SdNotify.fromEnvironment(); // its socket calls
        } catch (Throwable t) { // thrown again on the thread that waits
            failure = t;
        }
    }

    /**
     * Waits until the bindings are made; throws what making them threw (an error in a class's
     * initialisation, as the first native call would have thrown it without this class).
     */
    public void await() {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure;
        if (t instanceof Error) {
            throw (Error) t;
        }
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
    }
}
