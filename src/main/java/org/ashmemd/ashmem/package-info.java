/**
 * The ashmem driver's state machine in pure Java: areas (one per open file description), their
 * names, sizes and protection masks, the unpinned page ranges, the global LRU of unpinned memory
 * and purging. Behaviour follows the Linux ashmem driver errno by errno (see
 * docs/ashmem-semantics.md).
 *
 * <p>This package makes no system calls and knows nothing of CUSE, file descriptors or callers:
 * backing memory is reached only through {@link org.ashmemd.ashmem.BackingMemory}, which the
 * memory layer implements; user-memory access (and so {@code EFAULT}) and capability checks
 * ({@code EPERM} for PURGE_ALL_CACHES) belong to the device layer.
 */
package org.ashmemd.ashmem;
