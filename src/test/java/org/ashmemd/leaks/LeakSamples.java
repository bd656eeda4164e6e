package org.ashmemd.leaks;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.ashmemd.control.Opener;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.procscan.AshmemKind;
import org.ashmemd.procscan.ProcessFootprint;
import org.ashmemd.procscan.RegionUse;
import org.ashmemd.procscan.ScanResult;
import org.ashmemd.procscan.ScanStats;
import org.ashmemd.procscan.Usage;

/** Builds the samples the leak tests feed: processes, their regions, the daemon's regions. */
/** Samples and regions for the leak tests. */
public final class LeakSamples {
    public static final long K = 1024;
    public static final long M = 1024 * K;
    public static final long T0 = 1_700_000_000_000L;

    private LeakSamples() {
    }

    /** A process using {@code regions}; {@code deviceFds} more fds to the device. */
    public static ProcessFootprint process(int pid, String comm, String container, boolean servesCuse, int deviceFds,
            RegionUse... regions) {
        Map<AshmemKind, Usage> kinds = new EnumMap<>(AshmemKind.class);
        for (RegionUse r : regions) {
            kinds.merge(r.kind(), r.usage(), Usage::plus);
        }
        if (deviceFds > 0) {
            kinds.merge(AshmemKind.ASHMEMD, new Usage(0, 0, 0, 0, 0, 0, deviceFds), Usage::plus);
        }
        return new ProcessFootprint(pid, comm, 10061, container, "/lxc.payload." + container, servesCuse, kinds,
                List.of(regions));
    }

    /** {@code n} mapped regions of {@code size} each, inodes from {@code firstInode}. */
    public static RegionUse[] mapped(AshmemKind kind, String name, long firstInode, int n, long size) {
        RegionUse[] out = new RegionUse[n];
        for (int i = 0; i < n; i++) {
            out[i] = new RegionUse(kind, name, firstInode + i, new Usage(size, size / 2, size / 2, 0, 0, 1, 0), -1);
        }
        return out;
    }

    public static RegionUse held(AshmemKind kind, String name, long inode, long size) {
        return new RegionUse(kind, name, inode, new Usage(0, 0, 0, 0, 0, 0, 1), size);
    }

    public static RegionUse mappedOnce(long inode, String name, long size) {
        return new RegionUse(AshmemKind.ASHMEMD, name, inode, new Usage(size, size, size, 0, 0, 1, 0), -1);
    }

    public static RegionUse[] concat(RegionUse[]... parts) {
        List<RegionUse> all = new ArrayList<>();
        for (RegionUse[] p : parts) {
            all.addAll(List.of(p));
        }
        return all.toArray(new RegionUse[0]);
    }

    public static ScanResult proc(ProcessFootprint... ps) {
        return new ScanResult(List.of(ps), new ScanStats(100, ps.length, ps.length, 0, 0, 1_000_000), AshmemKind.all());
    }

    public static LeakSampler.Sample sample(long atMillis, ScanResult proc, List<RegionInfo> regions) {
        return new LeakSampler.Sample(atMillis, proc, proc == null ? "cannot read /proc: gone" : null, regions,
                regions == null ? "ashmemd is not running (no /run/ashmemd/admin.sock)" : null);
    }

    public static RegionInfo region(long id, String name, long size, boolean mapped, long inode, int openerPid,
            boolean openerAlive, long createdAtMillis) {
        return new RegionInfo(id, name, null, size, 3, mapped, mapped ? inode : -1, mapped ? size : 0, 0, 0, List.of(),
                new Opener(openerPid, openerPid, "app" + openerPid, "worker", 10061, "/lxc.payload.waydroid", "waydroid"),
                openerAlive, createdAtMillis);
    }

    public static List<RegionInfo> regions(int n, String name, long size, long createdAtMillis) {
        List<RegionInfo> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(region(1000 + i, name, size, true, 5000 + i, 300, true, createdAtMillis));
        }
        return out;
    }
}
