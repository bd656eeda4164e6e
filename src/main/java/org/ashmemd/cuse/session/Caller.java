package org.ashmemd.cuse.session;

/**
 * Who sent a request, from the FUSE request header: fsuid and fsgid in the daemon's user
 * namespace, and the calling <em>thread</em> id in the daemon's pid namespace (0 when the caller
 * is invisible there, and always 0 in RELEASE and INTERRUPT).
 */
public record Caller(int uid, int gid, int tid) {
    public static final Caller NOBODY = new Caller(0, 0, 0);
}
