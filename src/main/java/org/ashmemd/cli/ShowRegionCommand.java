package org.ashmemd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.Opener;
import org.ashmemd.control.PinRange;
import org.ashmemd.control.RegionDetail;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.posix.Prot;
import org.ashmemd.text.Escape;
import org.ashmemd.units.ByteSize;
import org.ashmemd.units.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "region", mixinStandardHelpOptions = true, versionProvider = org.ashmemd.cmdline.Version.Provider.class, description = "Show one region: its pins, who opened it, who maps it (Rss/Pss) and who holds its memory.")
final class ShowRegionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    AdminOptions admin;

    @Parameters(paramLabel = "ID", description = "The region's id, as `ashmemctl regions` lists it.")
    long id;

    @Override
    public Integer call() throws Exception {
        JsonNode data = admin.client().call(AdminProtocol.REGION, Map.of("id", Long.toString(id)));
        PrintWriter out = spec.commandLine().getOut();
        if (admin.json) {
            JsonOutput.print(out, data);
            return 0;
        }
        RegionDetail d = AdminProtocol.json().treeToValue(data, RegionDetail.class);
        RegionInfo r = d.region();
        Opener o = r.opener();
        // names, comm, container and cgroup come from clients: escaped (Escape.text) wherever printed
        out.printf("region %d \"%s\"%n", r.id(), r.name().isEmpty() ? "dev/ashmem" : Escape.text(r.displayName()));
        out.printf("  size %d (%s), prot mask %s, %s%n", r.size(), ByteSize.format(r.size()), Prot.toString(r.protMask()),
                r.mapped() ? "mapped (memfd inode " + r.inode() + ")" : "never mapped");
        out.printf("  resident %s, unpinned %s, purged %s%n", ByteSize.format(r.residentBytes()),
                ByteSize.format(r.unpinnedBytes()), ByteSize.format(r.purgedBytes()));
        out.printf("  opened %s ago by pid %d (%s, thread %d %s), uid %d, %s%s%n",
                Durations.format(Math.max(0, (System.currentTimeMillis() - r.createdAtMillis()) / 1000)), o.pid(),
                Escape.text(o.processName()), o.tid(), Escape.text(o.threadName()), o.uid(),
                o.container().isEmpty() ? "host" : "container " + Escape.text(o.container()),
                r.openerAlive() ? "" : " - that process has exited");
        if (!o.cgroup().isEmpty()) {
            out.printf("  cgroup %s%n", Escape.text(o.cgroup()));
        }
        if (!r.unpinned().isEmpty()) {
            out.println();
            Table pins = new Table("UNPINNED OFFSET>", "LENGTH>", "STATE");
            for (PinRange p : r.unpinned()) {
                pins.row(p.offset(), p.length(), p.purged() ? "purged" : "unpinned");
            }
            pins.print(out);
        }
        out.println();
        if (d.mappers().isEmpty()) {
            out.println("mapped by nobody");
        } else {
            Table m = new Table("MAPPED BY PID>", "COMM", "CONTAINER", "MAPS>", "SIZE>", "RSS>", "PSS>", "SWAP>");
            for (RegionDetail.Mapper x : d.mappers()) {
                m.row(x.pid(), x.processName(), x.container().isEmpty() ? "host" : x.container(), x.mappings(),
                        ByteSize.format(x.sizeBytes()), ByteSize.format(x.rssBytes()), ByteSize.format(x.pssBytes()),
                        ByteSize.format(x.swapBytes()));
            }
            m.print(out);
        }
        if (!d.holders().isEmpty()) {
            out.println();
            Table h = new Table("MEMFD HELD BY PID>", "COMM", "CONTAINER", "FDS>");
            for (RegionDetail.Holder x : d.holders()) {
                h.row(x.pid(), x.processName(), x.container().isEmpty() ? "host" : x.container(), x.fds());
            }
            h.print(out);
        }
        return 0;
    }
}
