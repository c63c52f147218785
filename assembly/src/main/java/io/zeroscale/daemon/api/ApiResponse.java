package io.zeroscale.daemon.api;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a handler answers: a status, a content type and the body bytes (or a JSON value), or a
 * {@link StreamBody stream} written after the headers for as long as it lasts ({@code /events}).
 */
// The body stays a byte[] (written as is); nothing compares or hashes responses.
@SuppressWarnings("ArrayRecordComponent")
record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers, @Nullable StreamBody stream) {
    static final String JSON = "application/json";

    ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
        this(status, contentType, body, headers, null);
    }

    /** A body of unknown length, written by the request's own thread after the headers are sent. */
    interface StreamBody {
        /** Writes until the stream ends; returns or throws when it does. Blocks only its own thread. */
        void write(OutputStream out) throws IOException;

        /** Called instead of {@link #write} when the headers could not be sent: frees what the stream holds. */
        void abandon();
    }

    static ApiResponse stream(int status, String contentType, Map<String, String> headers, StreamBody body) {
        return new ApiResponse(status, contentType, new byte[0], headers, body);
    }

    static ApiResponse json(int status, Object value) {
        return new ApiResponse(status, JSON, Json.write(value), Map.of());
    }

    static ApiResponse ok(Object value) {
        return json(200, value);
    }
}
