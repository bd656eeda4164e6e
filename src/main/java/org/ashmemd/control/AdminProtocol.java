package org.ashmemd.control;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** Constants and the shared JSON mapper of the admin protocol. */
public final class AdminProtocol {
    /** Bumped on incompatible changes; a daemon answers requests of its own version only. */
    public static final int VERSION = 1;
    /** Requests and responses are one line each; longer input is refused. */
    public static final int MAX_REQUEST_BYTES = 64 * 1024;

    public static final String STATUS = "status";
    public static final String REGIONS = "regions";
    public static final String REGION = "region";
    public static final String PURGE = "purge";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false) // newer peers may add fields
            .configure(SerializationFeature.INDENT_OUTPUT, false);

    private AdminProtocol() {
    }

    public static ObjectMapper json() {
        return MAPPER;
    }
}
