package org.ashmemd.metrics;

import java.util.List;
import org.ashmemd.ashmem.PurgeCause;
import org.ashmemd.ashmem.PurgeCount;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.device.RequestStats;

/**
 * The daemon's live state, read at each scrape (and only then): the metrics server keeps no
 * copy, counts nothing and runs no thread of its own. Each method is called once per scrape.
 */
public interface MetricsSource {
    /** Totals, broker and pressure sections: what {@code ashmemctl status} shows. */
    DaemonStatus status();

    /** Every live region, for the per-container totals. */
    List<RegionInfo> regions();

    /** Device requests so far, by operation: the same count the status shows. */
    List<RequestStats.Operation> requests();

    /** Purges so far for one cause; {@link PurgeCount#NONE} if none. */
    PurgeCount purges(PurgeCause cause);
}
