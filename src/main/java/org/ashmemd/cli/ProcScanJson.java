package org.ashmemd.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.ashmemd.procscan.AshmemKind;
import org.ashmemd.procscan.ContainerFootprint;
import org.ashmemd.procscan.ProcessFootprint;
import org.ashmemd.procscan.RegionUse;
import org.ashmemd.procscan.ScanStats;
import org.ashmemd.procscan.Usage;

/** The JSON of scan results; field names are part of ashmemctl's interface and do not change. */
final class ProcScanJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ProcScanJson() {
    }

    static ObjectNode usage(Usage u) {
        ObjectNode o = F.objectNode();
        o.put("sizeBytes", u.sizeBytes());
        o.put("rssBytes", u.rssBytes());
        o.put("pssBytes", u.pssBytes());
        o.put("swapBytes", u.swapBytes());
        o.put("swapPssBytes", u.swapPssBytes());
        o.put("mappings", u.mappings());
        o.put("fds", u.fds());
        return o;
    }

    static ObjectNode kinds(Map<AshmemKind, Usage> kinds) {
        ObjectNode o = F.objectNode();
        kinds.forEach((k, u) -> o.set(k.label(), usage(u)));
        return o;
    }

    static ObjectNode process(ProcessFootprint p) {
        ObjectNode o = F.objectNode();
        o.put("pid", p.pid());
        o.put("comm", p.comm());
        o.put("uid", p.uid());
        o.put("container", p.container());
        o.put("cgroup", p.cgroup());
        o.put("servesCuse", p.servesCuse());
        o.set("total", usage(p.total()));
        o.set("kinds", kinds(p.kinds()));
        ArrayNode regions = o.putArray("regions");
        for (RegionUse r : p.regions()) {
            regions.add(region(r));
        }
        return o;
    }

    static ObjectNode region(RegionUse r) {
        ObjectNode o = F.objectNode();
        o.put("kind", r.kind().label());
        o.put("name", r.name());
        o.put("inode", r.inode());
        o.put("mappings", r.usage().mappings());
        o.put("fds", r.usage().fds());
        o.put("sizeBytes", r.usage().sizeBytes());
        o.put("rssBytes", r.usage().rssBytes());
        o.put("pssBytes", r.usage().pssBytes());
        o.put("swapBytes", r.usage().swapBytes());
        o.put("fileSizeBytes", r.fileSizeBytes());
        return o;
    }

    static ObjectNode container(ContainerFootprint c) {
        ObjectNode o = F.objectNode();
        o.put("container", c.container());
        o.put("processes", c.processes());
        o.set("total", usage(c.total()));
        o.set("kinds", kinds(c.kinds()));
        return o;
    }

    static ObjectNode stats(ScanStats s) {
        ObjectNode o = F.objectNode();
        o.put("processes", s.processes());
        o.put("withAshmem", s.withAshmem());
        o.put("smapsRead", s.smapsRead());
        o.put("vanished", s.vanished());
        o.put("denied", s.denied());
        o.put("elapsedMillis", s.elapsedNanos() / 1_000_000);
        return o;
    }
}
