package org.ashmemd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.PurgeResult;
import org.ashmemd.units.ByteSize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "purge", mixinStandardHelpOptions = true, versionProvider = org.ashmemd.cmdline.Version.Provider.class, description = "Purge every unpinned range now, as the kernel's shrinker would under pressure.")
final class PurgeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    AdminOptions admin;

    @Override
    public Integer call() throws Exception {
        JsonNode data = admin.client().call(AdminProtocol.PURGE);
        PrintWriter out = spec.commandLine().getOut();
        if (admin.json) {
            JsonOutput.print(out, data);
            return 0;
        }
        PurgeResult r = AdminProtocol.json().treeToValue(data, PurgeResult.class);
        out.printf("purged %d pages (%s)%n", r.pagesFreed(), ByteSize.format(r.bytesFreed()));
        return 0;
    }
}
