package org.ashmemd.control;

import java.util.Map;

/**
 * What `ashmemctl status` shows.
 *
 * @param requests requests served, by operation (OPEN, READ, SET_NAME, ...)
 * @param errors   errors answered, by "OPERATION errno" (e.g. "SET_SIZE EINVAL")
 * @param restart  what a restart would keep; null from a daemon that does not report it
 */
public record DaemonStatus(String version, long pid, long startedAtMillis, long uptimeSeconds, String kernel,
        String device, String deviceNumbers, int regions, int mappedRegions, long sizeBytes, long residentBytes,
        long unpinnedBytes, long purgedBytes, long purgedTotalBytes, Map<String, Long> requests,
        Map<String, Long> errors, Broker broker, Pressure pressure, Limits limits, Restart restart) {

    public record Broker(String socket, long granted, long refused, long malformed, long timedOut, int connections,
            int outstandingTokens) {
    }

    /** Memory pressure handling: off when {@code enabled} is false. */
    public record Pressure(boolean enabled, String trigger, long events, long bursts, long pagesPurged,
            long unpinnedSoftLimitBytes) {
    }

    /**
     * The restart state (with {@code --fd-store}): how this daemon started and what the fd store
     * holds for the next one. Only {@code kept} and {@code started} count when {@code kept} is
     * false.
     *
     * @param started {@value #NEW_DEVICE}, {@value #PLANNED_RESTART} or {@value #AFTER_CRASH}
     * @param unrecordedChanges region changes the state missed (a restart would not see them)
     * @param unparkedRegions regions whose memory the store does not hold (a restart loses them)
     */
    public record Restart(boolean kept, String started, int regionsResumed, int regionsLost, int stateGeneration,
            long stateBytes, long stateCapacityBytes, int memoryGeneration, int parkedMemfds, long releasedBytesHeld,
            long unrecordedChanges, long unparkedRegions) {
        public static final String NEW_DEVICE = "new-device";
        public static final String PLANNED_RESTART = "planned-restart";
        public static final String AFTER_CRASH = "after-crash";

        /** A daemon without an fd store (no {@code --fd-store}): nothing is kept, nothing to count. */
        public static Restart notKept(String started) {
            return new Restart(false, started, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    /** Region caps; 0 means no cap. */
    public record Limits(int regionsPerUid, long bytesPerUid, int regionsPerContainer, long bytesPerContainer,
            long refusedOpens) {
    }
}
