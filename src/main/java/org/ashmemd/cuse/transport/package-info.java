/**
 * The /dev/cuse descriptor and the platform threads that read requests from it, hand them to a
 * {@link org.ashmemd.cuse.session.CuseSession} and write the replies back; device start-up
 * confirmation through sysfs and shutdown through the connection's abort file; which reader is
 * inside a request and since when ({@link org.ashmemd.cuse.transport.ReaderActivity}). Knows
 * nothing of the frames' contents beyond their opcode.
 */
package org.ashmemd.cuse.transport;
