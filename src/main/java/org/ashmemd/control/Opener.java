package org.ashmemd.control;

/**
 * Who opened a region: the process and thread at open time, seen from the daemon's namespaces.
 * Fields the daemon could not learn (the process exited first) are -1 / "?" / "".
 *
 * @param container a name derived from the cgroup (LXC, Docker/containerd, systemd unit), or ""
 *                  for the host
 */
public record Opener(int pid, int tid, String processName, String threadName, int uid, String cgroup, String container) {
}
