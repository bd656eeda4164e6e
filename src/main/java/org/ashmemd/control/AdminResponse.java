package org.ashmemd.control;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One admin response. {@code error} is a one-line message when {@code ok} is false; {@code code}
 * then names the failure class (usage, notfound, denied, unavailable, internal).
 */
public record AdminResponse(int version, boolean ok, String error, String code, JsonNode data) {
    public static AdminResponse ok(JsonNode data) {
        return new AdminResponse(AdminProtocol.VERSION, true, null, null, data);
    }

    public static AdminResponse failure(String code, String error) {
        return new AdminResponse(AdminProtocol.VERSION, false, error, code, null);
    }
}
