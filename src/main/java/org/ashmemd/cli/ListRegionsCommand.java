package org.ashmemd.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.posix.Prot;
import org.ashmemd.units.ByteSize;
import org.ashmemd.units.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "regions", mixinStandardHelpOptions = true, versionProvider = org.ashmemd.cmdline.Version.Provider.class, description = "List the daemon's regions, who opened them and what they cost.")
final class ListRegionsCommand implements Callable<Integer> {
    enum SortKey { id, size, resident, unpinned, name, pid, age }

    @Spec
    CommandSpec spec;

    @Mixin
    AdminOptions admin;

    @Option(names = "--sort", paramLabel = "KEY", defaultValue = "id",
            description = "Sort by ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; sizes largest first).")
    SortKey sort;

    @Option(names = "--pid", paramLabel = "PID", description = "Only regions opened by this process.")
    Integer pid;

    @Option(names = "--uid", paramLabel = "UID", description = "Only regions opened by this uid.")
    Integer uid;

    @Option(names = "--container", paramLabel = "NAME", description = "Only regions of this container ('host' for none).")
    String container;

    @Option(names = "--name", paramLabel = "GLOB", description = "Only regions whose name matches GLOB (e.g. 'dalvik*').")
    String name;

    @Override
    public Integer call() throws Exception {
        JsonNode data = admin.client().call(AdminProtocol.REGIONS);
        List<RegionInfo> regions = AdminProtocol.json().convertValue(data, new TypeReference<List<RegionInfo>>() { });
        regions = filter(regions);
        PrintWriter out = spec.commandLine().getOut();
        if (admin.json) {
            JsonOutput.print(out, regions);
            return 0;
        }
        long now = System.currentTimeMillis();
        Table t = new Table("ID>", "NAME", "SIZE>", "RESIDENT>", "UNPINNED>", "PURGED>", "PROT", "MAPPED", "PID>", "COMM",
                "UID>", "CONTAINER", "AGE>");
        for (RegionInfo r : regions) {
            t.row(r.id(), r.name().isEmpty() ? "-" : r.displayName(), ByteSize.format(r.size()), ByteSize.format(r.residentBytes()),
                    ByteSize.format(r.unpinnedBytes()), ByteSize.format(r.purgedBytes()), Prot.toString(r.protMask()),
                    r.mapped() ? "yes" : "no", r.opener().pid(), r.opener().processName() + (r.openerAlive() ? "" : " (gone)"),
                    r.opener().uid(), r.opener().container().isEmpty() ? "host" : r.opener().container(),
                    Durations.format(Math.max(0, (now - r.createdAtMillis()) / 1000)));
        }
        t.print(out);
        out.printf("%d regions, %s declared, %s resident%n", regions.size(),
                ByteSize.format(regions.stream().mapToLong(RegionInfo::size).sum()),
                ByteSize.format(regions.stream().mapToLong(RegionInfo::residentBytes).sum()));
        return 0;
    }

    List<RegionInfo> filter(List<RegionInfo> all) {
        Pattern glob = name == null ? null : globPattern(name);
        Comparator<RegionInfo> order;
        switch (sort) {
            case size: order = Comparator.comparingLong(RegionInfo::size).reversed(); break;
            case resident: order = Comparator.comparingLong(RegionInfo::residentBytes).reversed(); break;
            case unpinned: order = Comparator.comparingLong(RegionInfo::unpinnedBytes).reversed(); break;
            case name: order = Comparator.comparing(RegionInfo::name); break;
            case pid: order = Comparator.comparingInt(r -> r.opener().pid()); break;
            case age: order = Comparator.comparingLong(RegionInfo::createdAtMillis); break;
            default: order = Comparator.comparingLong(RegionInfo::id); break;
        }
        return all.stream()
                .filter(r -> pid == null || r.opener().pid() == pid)
                .filter(r -> uid == null || r.opener().uid() == uid)
                .filter(r -> container == null || container.equals(r.opener().container().isEmpty() ? "host" : r.opener().container()))
                .filter(r -> glob == null || glob.matcher(r.name()).matches())
                .sorted(order.thenComparingLong(RegionInfo::id))
                .collect(Collectors.toList());
    }

    /** Shell-style: '*' any run of characters, '?' one character, everything else literal. */
    static Pattern globPattern(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
