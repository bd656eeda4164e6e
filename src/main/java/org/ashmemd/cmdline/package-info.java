/**
 * What the command lines of ashmemd and ashmemctl share, so that both read and print them alike.
 * Uses nothing of the daemon: the CLI depends on it.
 */
package org.ashmemd.cmdline;
