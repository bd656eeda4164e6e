package org.ashmemd.control;

import java.util.Map;

/**
 * What `ashmemctl status` shows.
 *
 * @param requests requests served, by operation (OPEN, READ, SET_NAME, ...)
 * @param errors   errors answered, by "OPERATION errno" (e.g. "SET_SIZE EINVAL")
 */
public record DaemonStatus(String version, long pid, long startedAtMillis, long uptimeSeconds, String kernel,
        String device, String deviceNumbers, int regions, int mappedRegions, long sizeBytes, long residentBytes,
        long unpinnedBytes, long purgedBytes, long purgedTotalBytes, Map<String, Long> requests,
        Map<String, Long> errors, Broker broker, Pressure pressure, Limits limits) {

    public record Broker(String socket, long granted, long refused, long malformed, long timedOut, int connections,
            int outstandingTokens) {
    }

    /** Memory pressure handling: off when {@code enabled} is false. */
    public record Pressure(boolean enabled, String trigger, long events, long bursts, long pagesPurged,
            long unpinnedSoftLimitBytes) {
    }

    /** Region caps; 0 means no cap. */
    public record Limits(int regionsPerUid, long bytesPerUid, int regionsPerContainer, long bytesPerContainer,
            long refusedOpens) {
    }
}
