package io.zeroscale.plugin.alerts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zeroscale.plugin.support.HttpErrorCodes;
import io.zeroscale.plugin.support.HttpTransport;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.alert.Alert;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;

/** What both sinks share: the error codes, the JSON writing, and "2xx or a clear error". */
final class Http {
    static final HttpErrorCodes ERRORS =
            new HttpErrorCodes(AlertsErrorCode.UNREACHABLE, AlertsErrorCode.TIMEOUT, AlertsErrorCode.TLS_FAILED);

    static final ObjectMapper JSON = new ObjectMapper();

    private Http() {}

    /** Puts the alert's {@code startsAt} and, once resolved, {@code endsAt} (RFC 3339). */
    static void putTimes(ObjectNode node, Alert alert) {
        node.put("startsAt", alert.startsAt().toString());
        if (alert.endsAt() != null) {
            node.put("endsAt", String.valueOf(alert.endsAt()));
        }
    }

    /** {@code body} as a JSON string. */
    static String write(JsonNode body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * POSTs {@code json} and checks the answer.
     *
     * @throws ZeroscaleException {@link AlertsErrorCode#REJECTED} naming the receiver, the status and
     *     the start of its answer; or the transport's failure
     */
    static void post(HttpTransport transport, String path, String json, String what) {
        HttpResponse<String> response = transport.postJson(path, json);
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            throw new ZeroscaleException(AlertsErrorCode.REJECTED, transport.backend() + " refused " + what + ": HTTP " + status
                    + (response.body().isBlank() ? "" : " " + HttpTransport.snippet(response.body())));
        }
    }
}
