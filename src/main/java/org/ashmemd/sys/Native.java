package org.ashmemd.sys;

import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/** Shared plumbing for this package: the libc and POSIX bindings and errno conversion. */
final class Native {
    static final LibC LIBC = LibC.INSTANCE;
    static final jnr.ffi.Runtime RUNTIME = LibC.runtime();
    static final POSIX POSIX = POSIXFactory.getNativePOSIX();

    private Native() {
    }

    /** An exception for the errno of the call that just failed on this thread. */
    static ErrnoException lastError(String what) {
        int errno = LibC.errno();
        if (errno <= 0) {
            errno = Errno.EIO.number();
        }
        return new ErrnoException(errno, what + ": " + Errno.nameOf(errno));
    }

    /** A pointer to the remaining bytes of a direct buffer. */
    static Pointer pointer(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("native I/O needs a direct buffer");
        }
        return Pointer.wrap(RUNTIME, direct);
    }
}
