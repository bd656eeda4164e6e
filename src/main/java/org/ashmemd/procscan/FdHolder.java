package org.ashmemd.procscan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A process holding fds to one region's memfd.
 *
 * @param servesCuse whether it also holds /dev/cuse: the daemon itself (or a service manager
 *                   keeping its fds), which holds every region's memfd (not in JSON)
 */
@JsonPropertyOrder({"pid", "comm", "container", "fds"})
public record FdHolder(int pid, String comm, String container, int fds, @JsonIgnore boolean servesCuse) {
}
