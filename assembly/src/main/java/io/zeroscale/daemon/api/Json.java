package io.zeroscale.daemon.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;

/** The API's one JSON mapper. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {}

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A request body read as one JSON object, or a 400 that says what was wrong: not JSON, not
     * readable, or not an object ({@code expected} completes "expected ...", e.g. "a JSON object
     * with [replicas]").
     */
    static JsonNode readObject(byte[] body, String expected) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("body: not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("body: cannot be read (" + e.getMessage() + ")");
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("body: expected " + expected);
        }
        return node;
    }
}
