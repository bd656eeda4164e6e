/**
 * The admin plane inside the daemon: the root-only admin socket ({@link
 * org.ashmemd.admin.AdminServer}) and the answers to its requests from the daemon's live state
 * ({@link org.ashmemd.admin.AdminService}), in the records of {@code control/}. Reads the
 * device, broker and request counters; starts nothing of its own but the socket.
 */
package org.ashmemd.admin;
