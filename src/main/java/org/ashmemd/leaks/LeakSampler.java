package org.ashmemd.leaks;

import com.fasterxml.jackson.core.type.TypeReference;
import java.util.List;
import java.util.function.LongSupplier;
import org.ashmemd.control.AdminClient;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.procscan.ProcScanner;
import org.ashmemd.procscan.ScanResult;

/** Takes one look at the host: a /proc scan and, when reachable, the daemon's regions. */
public interface LeakSampler {
    /**
     * One look. {@code proc} is null when /proc could not be read ({@code procError} says why);
     * {@code regions} is null when the daemon was not asked or could not be read.
     */
    record Sample(long atMillis, ScanResult proc, String procError, List<RegionInfo> regions, String daemonError) {
    }

    Sample sample();

    /** The real thing; {@code daemon} is null to leave the daemon out. */
    static LeakSampler of(ProcScanner scanner, AdminClient daemon, LongSupplier clock) {
        return () -> {
            long at = clock.getAsLong();
            ScanResult proc = null;
            String procError = null;
            try {
                proc = scanner.scan();
            } catch (java.io.IOException e) {
                procError = e.getMessage();
            }
            List<RegionInfo> regions = null;
            String daemonError = daemon == null ? "not asked (--no-daemon)" : null;
            if (daemon != null) {
                try {
                    regions = AdminProtocol.json().convertValue(daemon.call(AdminProtocol.REGIONS),
                            new TypeReference<List<RegionInfo>>() { });
                } catch (AdminClient.AdminException | IllegalArgumentException e) {
                    daemonError = e.getMessage();
                }
            }
            return new Sample(at, proc, procError, regions, daemonError);
        };
    }
}
