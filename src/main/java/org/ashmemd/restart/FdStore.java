package org.ashmemd.restart;

import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.SdNotify;

/**
 * Where the daemon parks the descriptors that must outlive it: systemd's file descriptor store
 * ({@code FDSTORE=1}, {@code FileDescriptorStoreMax=}), or {@code ashmemd --hold}, which speaks
 * the same datagrams on the socket it names in {@code $NOTIFY_SOCKET}. The store keeps a
 * duplicate; the daemon keeps using its own descriptor.
 */
public interface FdStore {

    /** Parks a duplicate of {@code fd} under {@code name} (letters, digits, '-', '_', '.'). */
    void store(String name, int fd) throws ErrnoException;

    /** Drops every descriptor parked under {@code name}. */
    void remove(String name) throws ErrnoException;

    /** A store that keeps nothing: for runs that keep the state with no daemon to come after them. */
    FdStore NONE = new FdStore() {
        @Override
        public void store(String name, int fd) {
        }

        @Override
        public void remove(String name) {
        }
    };

    /** The store at $NOTIFY_SOCKET. */
    static FdStore notifySocket(SdNotify notify) {
        return new FdStore() {
            @Override
            public void store(String name, int fd) throws ErrnoException {
                notify.notifyWithFd("FDSTORE=1\nFDNAME=" + name, fd);
            }

            @Override
            public void remove(String name) throws ErrnoException {
                if (!notify.notify("FDSTOREREMOVE=1\nFDNAME=" + name)) {
                    throw new ErrnoException(org.ashmemd.posix.Errno.EIO, "FDSTOREREMOVE of " + name + " not sent");
                }
            }
        };
    }
}
