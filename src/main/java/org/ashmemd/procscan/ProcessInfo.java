package org.ashmemd.procscan;

/** Who a process is: name, uid, cgroup and container. */
public record ProcessInfo(int pid, String comm, int uid, String cgroup, String container) {
}
