package io.zeroscale.plugin.tempo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.plugin.support.HttpTransport;
import io.zeroscale.spi.ZeroscaleException;
import java.net.http.HttpResponse;

/**
 * Reading Tempo's answers. Tempo writes JSON with protobuf's JSON mapping: 64-bit integers are
 * strings, zero values and empty lists are left out (a missing number is 0), and NaN and
 * infinities are the strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"}.
 */
final class TempoJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TempoJson() {}

    /**
     * The JSON body of a successful answer.
     *
     * @throws ZeroscaleException {@code QUERY_REJECTED} for HTTP 400 (quoting Tempo, whose errors are
     *     plain text), {@code QUERY_FAILED} for other errors, {@code BAD_RESPONSE} for non-JSON
     */
    static JsonNode body(String backend, HttpResponse<String> response, String hintOn400) {
        int status = response.statusCode();
        if (status == 400) {
            throw new ZeroscaleException(TempoErrorCode.QUERY_REJECTED, backend + " rejected the query (HTTP 400): "
                    + HttpTransport.snippet(response.body()) + "; " + hintOn400);
        }
        if (status >= 300) {
            String hint = status == 401 && response.body().contains("org id")
                    ? "; this Tempo is multi-tenant: set org-id" : "";
            throw new ZeroscaleException(TempoErrorCode.QUERY_FAILED, backend + " answered HTTP " + status + ": "
                    + HttpTransport.snippet(response.body()) + hint);
        }
        try {
            JsonNode root = JSON.readTree(response.body());
            if (root != null && root.isObject()) {
                return root;
            }
        } catch (JsonProcessingException e) {
            // reported below with the body
        }
        throw new ZeroscaleException(TempoErrorCode.BAD_RESPONSE, backend + " answered HTTP " + status
                + " without Tempo API JSON: " + HttpTransport.snippet(response.body()));
    }

    /** A protobuf double: absent is 0, strings spell NaN and infinities. */
    static double number(String backend, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return 0.0;
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        String text = node.asText();
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "Infinity", "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Infinity", "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new ZeroscaleException(TempoErrorCode.BAD_RESPONSE,
                            backend + " returned '" + text + "' where a number belongs", e);
                }
            }
        };
    }

    /** A protobuf 64-bit integer: a decimal string, or a number; absent is 0. */
    static long int64(String backend, JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return 0L;
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        try {
            return Long.parseLong(node.asText());
        } catch (NumberFormatException e) {
            throw new ZeroscaleException(TempoErrorCode.BAD_RESPONSE,
                    backend + " returned '" + node.asText() + "' where a whole number belongs", e);
        }
    }

    /** An OTLP AnyValue as text: {@code {"stringValue": "x"}}, {@code {"intValue": "3"}}, ... */
    static String anyValue(JsonNode value) {
        for (String kind : new String[] {"stringValue", "intValue", "doubleValue", "boolValue"}) {
            if (value.has(kind)) {
                return value.get(kind).asText();
            }
        }
        return value.toString();
    }

    /** The value of attribute {@code key} in an OTLP attribute list, or an empty string. */
    static String attribute(JsonNode attributes, String key) {
        for (JsonNode attribute : attributes) {
            if (key.equals(attribute.path("key").asText())) {
                return anyValue(attribute.path("value"));
            }
        }
        return "";
    }
}
