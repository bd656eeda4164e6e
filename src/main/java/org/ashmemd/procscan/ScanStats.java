package org.ashmemd.procscan;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * How a scan went.
 *
 * @param processes  processes listed in /proc
 * @param withAshmem processes found using ashmem memory
 * @param smapsRead  processes whose smaps had to be read (their maps mentioned ashmem or a memfd)
 * @param vanished   processes that exited during the scan
 * @param denied     processes that could not be read for lack of permission (not root)
 * @param elapsedNanos how long the scan took (JSON has {@link #elapsedMillis()} instead)
 */
@JsonPropertyOrder({"processes", "withAshmem", "smapsRead", "vanished", "denied", "elapsedMillis"})
public record ScanStats(int processes, int withAshmem, int smapsRead, int vanished, int denied,
        @JsonIgnore long elapsedNanos) {
    /** How long the scan took, whole milliseconds (rounded down). */
    @JsonProperty("elapsedMillis")
    public long elapsedMillis() {
        return elapsedNanos / 1_000_000;
    }

    /** What to tell the user when {@code processes} could not be read. */
    public static String unreadable(int processes) {
        return (processes == 1 ? "1 process" : processes + " processes")
                + " could not be read (permission denied); run as root to see them all";
    }
}
