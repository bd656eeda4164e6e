package org.ashmemd.procscan;

/**
 * A process holding fds to one region's memfd.
 *
 * @param servesCuse whether it also holds /dev/cuse: the daemon itself (or a service manager
 *                   keeping its fds), which holds every region's memfd
 */
public record FdHolder(int pid, String comm, String container, int fds, boolean servesCuse) {
}
