/**
 * The one Unix-socket listener the daemon's sockets share (the mmap broker and the admin
 * socket): binding in place of a stale socket, mode and group, peer credentials, one selector
 * thread, and a stop that removes the socket. Knows nothing of what the connections carry.
 */
package org.ashmemd.socket;
