package org.ashmemd.procscan;

/**
 * One line of /proc/PID/maps (and the header line of each smaps block).
 *
 * @param device "MM:mm" in hex, as the kernel prints it
 * @param path   the file, "[heap]"-style name, or "" for anonymous memory; a deleted file keeps
 *               its " (deleted)" suffix
 */
public record MapsEntry(long start, long end, String perms, long offset, String device, long inode, String path) {
    private static final String DELETED = " (deleted)";

    public long sizeBytes() {
        return end - start;
    }

    /** MAP_SHARED, the only way a mapping shows a region's memory. */
    public boolean shared() {
        return perms.length() > 3 && perms.charAt(3) == 's';
    }

    public boolean deleted() {
        return path.endsWith(DELETED);
    }

    /** The path without its " (deleted)" suffix. */
    public String livePath() {
        return deleted() ? path.substring(0, path.length() - DELETED.length()) : path;
    }

    /** Parses a maps line; throws IllegalArgumentException for anything else. */
    public static MapsEntry parse(String line) {
        try {
            int dash = line.indexOf('-');
            int s1 = line.indexOf(' ', dash + 1);
            int s2 = line.indexOf(' ', s1 + 1);
            int s3 = line.indexOf(' ', s2 + 1);
            int s4 = line.indexOf(' ', s3 + 1);
            int s5 = line.indexOf(' ', s4 + 1);
            if (dash <= 0 || s1 < 0 || s2 < 0 || s3 < 0 || s4 < 0) {
                throw new IllegalArgumentException("not a maps line: '" + line + "'");
            }
            long start = Long.parseUnsignedLong(line, 0, dash, 16);
            long end = Long.parseUnsignedLong(line, dash + 1, s1, 16);
            String perms = line.substring(s1 + 1, s2);
            long offset = Long.parseUnsignedLong(line, s2 + 1, s3, 16);
            String device = line.substring(s3 + 1, s4);
            int inodeEnd = s5 < 0 ? line.length() : s5;
            long inode = Long.parseUnsignedLong(line, s4 + 1, inodeEnd, 10);
            int p = inodeEnd;
            while (p < line.length() && line.charAt(p) == ' ') {
                p++;
            }
            return new MapsEntry(start, end, perms, offset, device, inode, line.substring(p));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("not a maps line: '" + line + "'", e);
        }
    }

    /** Whether a line looks like a maps/smaps mapping header ("start-end perms ..."), not a "Key: value" line. */
    static boolean isHeader(String line) {
        int dash = line.indexOf('-');
        int colon = line.indexOf(':');
        return dash > 0 && (colon < 0 || colon > dash) && isHex(line.charAt(0)) && line.indexOf(' ') > dash;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }

    @Override
    public String toString() {
        return Long.toHexString(start) + "-" + Long.toHexString(end) + " " + perms + " " + device + " " + inode + " " + path;
    }
}
