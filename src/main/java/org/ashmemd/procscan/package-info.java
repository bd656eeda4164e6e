/**
 * Who uses ashmem memory on this host, read from /proc alone: parsers for maps, smaps, status and
 * cgroup files, the kinds of ashmem memory (the kernel driver's, memfd-based, ashmemd's), container
 * names derived from cgroup paths, and a scanner that totals it all per process and container.
 * Knows nothing of the daemon: it works the same with the daemon down.
 */
package org.ashmemd.procscan;
