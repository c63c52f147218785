package io.zeroscale.daemon.api;

import java.util.Map;

/** What a handler answers: a status, a content type and the body bytes (or a JSON value). */
// The body stays a byte[] (written as is); nothing compares or hashes responses.
@SuppressWarnings("ArrayRecordComponent")
record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
    static final String JSON = "application/json";

    static ApiResponse json(int status, Object value) {
        return new ApiResponse(status, JSON, Json.write(value), Map.of());
    }

    static ApiResponse ok(Object value) {
        return json(200, value);
    }
}
