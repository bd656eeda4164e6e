/**
 * Giving unpinned memory back when the host runs short of it, as the ashmem driver's shrinker
 * did: a PSI memory pressure trigger starts purging, least recently unpinned first, in bursts
 * until pressure eases; an optional soft limit caps unpinned memory. Purging itself is a
 * function handed in by the daemon; this package knows nothing of areas or the device.
 */
package org.ashmemd.pressure;
