package org.ashmemd.procscan;

/**
 * How a scan went.
 *
 * @param processes  processes listed in /proc
 * @param withAshmem processes found using ashmem memory
 * @param smapsRead  processes whose smaps had to be read (their maps mentioned ashmem or a memfd)
 * @param vanished   processes that exited during the scan
 * @param denied     processes that could not be read for lack of permission (not root)
 */
public record ScanStats(int processes, int withAshmem, int smapsRead, int vanished, int denied, long elapsedNanos) {
    /** What to tell the user when {@code processes} could not be read. */
    public static String unreadable(int processes) {
        return (processes == 1 ? "1 process" : processes + " processes")
                + " could not be read (permission denied); run as root to see them all";
    }
}
