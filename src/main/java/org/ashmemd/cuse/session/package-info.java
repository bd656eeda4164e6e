/**
 * The CUSE server without I/O: {@link org.ashmemd.cuse.session.CuseSession} answers one request
 * frame at a time by calling a {@link org.ashmemd.cuse.session.CharDevice}, which knows nothing
 * of FUSE framing. CUSE_INIT negotiation, the ioctl retry limits, INTERRUPT, and the mapping of
 * device errors and malformed frames to error replies live here.
 */
package org.ashmemd.cuse.session;
