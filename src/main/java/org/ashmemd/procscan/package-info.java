/**
 * /proc, read and parsed in one place for the daemon and ashmemctl alike: one parser per file
 * ({@link org.ashmemd.procscan.ProcStatus status}, {@link org.ashmemd.procscan.Cgroups cgroup},
 * {@link org.ashmemd.procscan.Comm comm}, maps, smaps), the kinds of ashmem memory (the kernel
 * driver's, memfd-based, ashmemd's), container names derived from cgroup paths, what the device
 * asks about a calling thread ({@link org.ashmemd.procscan.ProcFs}), and a scanner that totals it
 * all per process and container. Knows nothing of the daemon: it works the same with the daemon down.
 */
package org.ashmemd.procscan;
