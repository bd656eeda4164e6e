/**
 * Byte sizes and durations as ashmemd's and ashmemctl's options read them and as both print
 * them: one rule for every option. Uses nothing of the project.
 *
 * <p>A size is a number, decimals allowed, and an optional unit K, M, G, T, P or E (powers of
 * 1024; "KB", "KiB" and "k" mean the same); a bare number is bytes, and a fraction of a byte is
 * rounded to the nearest byte. A duration is one or more number-unit pairs, decimals allowed,
 * with the units ns, us (or µs), ms, s, m, h and d ("1h30m", "1.5s"), or ISO-8601 ("PT10S"); a bare
 * number is seconds.
 */
package org.ashmemd.units;
