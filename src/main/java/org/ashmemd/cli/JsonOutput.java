package org.ashmemd.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.PrintWriter;
import org.ashmemd.control.AdminProtocol;

/** `--json` output of every command: the protocol's mapper, pretty-printed, one document. */
final class JsonOutput {
    private JsonOutput() {
    }

    static void print(PrintWriter out, Object value) throws JsonProcessingException {
        out.println(AdminProtocol.json().writerWithDefaultPrettyPrinter().writeValueAsString(value));
    }
}
