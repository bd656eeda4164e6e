/**
 * Text that untrusted processes choose (region names, {@code comm}, cgroup paths, container
 * names), made safe to show: one escaping function for terminals and log lines, lossless
 * decoding of names that arrive as bytes, display widths for tables. No I/O, no other project
 * package.
 */
package org.ashmemd.text;
