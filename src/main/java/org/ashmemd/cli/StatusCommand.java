package org.ashmemd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.text.Escape;
import org.ashmemd.units.ByteSize;
import org.ashmemd.units.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = org.ashmemd.cmdline.Version.Provider.class, description = "Show the daemon's state: device, regions, memory, requests, broker, and what a restart would keep.")
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    AdminOptions admin;

    @Override
    public Integer call() throws Exception {
        JsonNode data = admin.client().call(AdminProtocol.STATUS);
        PrintWriter out = spec.commandLine().getOut();
        if (admin.json) {
            JsonOutput.print(out, data);
            return 0;
        }
        render(out, AdminProtocol.json().treeToValue(data, DaemonStatus.class));
        return 0;
    }

    /** The status as text; linear in the operations and errors listed. */
    static void render(PrintWriter out, DaemonStatus s) {
        out.printf("ashmemd %s, pid %d, up %s, kernel %s%n", s.version(), s.pid(), Durations.format(s.uptimeSeconds()),
                s.kernel());
        out.printf("device   %s (char %s)%n", s.device(), s.deviceNumbers());
        out.printf("regions  %d (%d mapped)%n", s.regions(), s.mappedRegions());
        out.printf("memory   size %s, resident %s, unpinned %s, purged %s (purged since start %s)%n",
                ByteSize.format(s.sizeBytes()), ByteSize.format(s.residentBytes()), ByteSize.format(s.unpinnedBytes()),
                ByteSize.format(s.purgedBytes()), ByteSize.format(s.purgedTotalBytes()));
        DaemonStatus.Broker b = s.broker();
        out.printf("broker   %s: %d granted, %d refused, %d malformed, %d timed out, %d connections, %d tokens pending%n",
                b.socket(), b.granted(), b.refused(), b.malformed(), b.timedOut(), b.connections(), b.outstandingTokens());
        DaemonStatus.Pressure p = s.pressure();
        if (p.enabled()) {
            out.printf("pressure trigger \"%s\": %d events, %d bursts, %d pages purged%s%n", p.trigger(), p.events(),
                    p.bursts(), p.pagesPurged(), p.unpinnedSoftLimitBytes() > 0
                            ? ", unpinned soft limit " + ByteSize.format(p.unpinnedSoftLimitBytes()) : "");
        } else {
            out.println("pressure off");
        }
        DaemonStatus.Limits l = s.limits();
        out.printf("limits   per uid %s regions / %s, per container %s regions / %s; %d opens refused%n",
                cap(l.regionsPerUid()), capBytes(l.bytesPerUid()), cap(l.regionsPerContainer()),
                capBytes(l.bytesPerContainer()), l.refusedOpens());
        if (s.restart() != null) {
            out.println(restart(s.restart()));
        }
        // errors are keyed "OPERATION ERRNO": sum them per operation in one pass
        Map<String, Long> errorsByOperation = new HashMap<>();
        for (Map.Entry<String, Long> e : s.errors().entrySet()) {
            int space = e.getKey().indexOf(' ');
            String op = space < 0 ? e.getKey() : e.getKey().substring(0, space);
            errorsByOperation.merge(op, e.getValue(), Long::sum);
        }
        Table t = new Table("OPERATION", "REQUESTS>", "ERRORS>");
        for (Map.Entry<String, Long> e : s.requests().entrySet()) {
            t.row(e.getKey(), e.getValue(), errorsByOperation.getOrDefault(e.getKey(), 0L));
        }
        out.println();
        t.print(out);
        if (!s.errors().isEmpty()) {
            out.println();
            Table errs = new Table("ERROR", "COUNT>");
            s.errors().forEach(errs::row);
            errs.print(out);
        }
    }

    /** What a restart would keep, and how this daemon started. */
    static String restart(DaemonStatus.Restart r) {
        String how = r.started() == null ? "" : r.started();
        String started = switch (how) {
            case DaemonStatus.Restart.PLANNED_RESTART -> "started by a planned restart";
            case DaemonStatus.Restart.AFTER_CRASH -> "started after the previous daemon died";
            case DaemonStatus.Restart.NEW_DEVICE -> "started with a new device";
            default -> "started: " + Escape.text(how);
        };
        if (!r.kept()) {
            return "restart  not kept (no --fd-store: a restart ends the device and its regions); " + started;
        }
        StringBuilder b = new StringBuilder("restart  kept: state ").append(r.stateGeneration()).append(", ")
                .append(ByteSize.format(r.stateBytes())).append(" of ").append(ByteSize.format(r.stateCapacityBytes()))
                .append("; memory carrier ").append(r.memoryGeneration()).append(" holds ").append(r.parkedMemfds())
                .append(" memfds (").append(ByteSize.format(r.releasedBytesHeld())).append(" released); ")
                .append(started);
        if (!how.equals(DaemonStatus.Restart.NEW_DEVICE)) {
            b.append(": ").append(r.regionsResumed()).append(" regions resumed, ").append(r.regionsLost())
                    .append(" lost");
        }
        if (r.unrecordedChanges() > 0 || r.unparkedRegions() > 0) {
            b.append("\n         NOT KEPT: ").append(r.unrecordedChanges()).append(" changes unrecorded, ")
                    .append(r.unparkedRegions()).append(" regions' memory unparked (the log says why)");
        }
        return b.toString();
    }

    private static String cap(long n) {
        return n == 0 ? "unlimited" : Long.toString(n);
    }

    private static String capBytes(long n) {
        return n == 0 ? "unlimited" : ByteSize.format(n);
    }
}
