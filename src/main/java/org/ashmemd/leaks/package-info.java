/**
 * Leak analysis, next to the scanner it reads: samples of /proc (a {@code procscan} scan) and of
 * the daemon's regions (over {@code control}), and the judgement of a series of them: what only
 * grows, regions nobody maps, regions whose opener has exited. No picocli, no rendering: ashmemctl
 * takes the samples and prints the report (its {@code --json} is the report's records, serialised as
 * they are: their Jackson annotations fix field names and order).
 */
package org.ashmemd.leaks;
