/**
 * Byte-exact frames of the FUSE/CUSE kernel protocol as a CUSE server sees them: the request
 * header and bodies it reads from /dev/cuse, the replies it writes back. Integers are in the
 * host's byte order whatever order a buffer is set to. No I/O and no policy: what to answer is
 * the session's business.
 */
package org.ashmemd.cuse.wire;
