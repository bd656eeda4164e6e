package org.ashmemd.control;

import java.util.Map;

/** One admin request: a command and its string arguments. */
public record AdminRequest(int version, String command, Map<String, String> args) {
    public AdminRequest {
        args = args == null ? Map.of() : Map.copyOf(args);
    }

    public static AdminRequest of(String command) {
        return new AdminRequest(AdminProtocol.VERSION, command, Map.of());
    }

    public static AdminRequest of(String command, Map<String, String> args) {
        return new AdminRequest(AdminProtocol.VERSION, command, args);
    }
}
