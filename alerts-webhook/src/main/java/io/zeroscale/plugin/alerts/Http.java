package io.zeroscale.plugin.alerts;

import io.zeroscale.plugin.support.HttpErrorCodes;
import io.zeroscale.plugin.support.HttpTransport;
import io.zeroscale.spi.ZeroscaleException;
import java.net.http.HttpResponse;

/** What both sinks share: the error codes, and "2xx or a clear error". */
final class Http {
    static final HttpErrorCodes ERRORS =
            new HttpErrorCodes(AlertsErrorCode.UNREACHABLE, AlertsErrorCode.TIMEOUT, AlertsErrorCode.TLS_FAILED);

    private Http() {}

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
