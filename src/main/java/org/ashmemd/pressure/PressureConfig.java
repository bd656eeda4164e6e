package org.ashmemd.pressure;

import java.util.Locale;

/**
 * How the daemon gives unpinned memory back to the host.
 *
 * @param trigger                 the PSI trigger that starts purging, or null to not watch
 *                                memory pressure at all
 * @param unpinnedSoftLimitBytes  unpinned, not purged memory beyond this is purged at once,
 *                                oldest first; 0 for no limit
 * @param burstPages              pages purged by the first burst after a pressure event; each
 *                                further burst of the same episode doubles, up to 64 times this
 */
public record PressureConfig(PressureTrigger trigger, long unpinnedSoftLimitBytes, long burstPages) {
    /**
     * 10% of a 2 s window: a window that is a multiple of 2 s needs no CAP_SYS_RESOURCE, and the
     * event still comes as soon as the threshold is crossed.
     */
    public static final String DEFAULT_TRIGGER = "some 200ms 2s";
    public static final long DEFAULT_BURST_PAGES = 256;
    /** The value of the trigger option that switches pressure purging off. */
    public static final String OFF = "off";

    public PressureConfig {
        if (unpinnedSoftLimitBytes < 0) {
            throw new IllegalArgumentException("the unpinned soft limit cannot be negative");
        }
        if (burstPages < 1 || burstPages > (1L << 40)) {
            throw new IllegalArgumentException("the burst must be 1 page or more, not " + burstPages);
        }
    }

    /** The default trigger, no soft limit. */
    public static PressureConfig defaults() {
        return new PressureConfig(PressureTrigger.parse(DEFAULT_TRIGGER), 0, DEFAULT_BURST_PAGES);
    }

    /**
     * From the daemon's options: {@code trigger} is a {@link PressureTrigger#parse trigger} or
     * "off"; {@code unpinnedSoftLimitBytes} is 0 for none.
     *
     * @throws IllegalArgumentException with a message fit for the command line
     */
    public static PressureConfig fromOptions(String trigger, long unpinnedSoftLimitBytes) {
        PressureTrigger t = trigger.trim().toLowerCase(Locale.ROOT).equals(OFF) ? null : PressureTrigger.parse(trigger);
        return new PressureConfig(t, unpinnedSoftLimitBytes, DEFAULT_BURST_PAGES);
    }

    public boolean watchesPressure() {
        return trigger != null;
    }

    public boolean hasSoftLimit() {
        return unpinnedSoftLimitBytes > 0;
    }
}
