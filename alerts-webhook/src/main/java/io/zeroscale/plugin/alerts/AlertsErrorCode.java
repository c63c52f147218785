package io.zeroscale.plugin.alerts;

import io.zeroscale.spi.ErrorCode;
import io.zeroscale.spi.ErrorType;

/** Why an alert could not be delivered. */
public enum AlertsErrorCode implements ErrorCode {
    /** No connection to the receiver (after retries). */
    UNREACHABLE(ErrorType.EXTERNAL),
    /** The receiver did not answer within the timeout. */
    TIMEOUT(ErrorType.EXTERNAL),
    /** The TLS handshake with the receiver failed. */
    TLS_FAILED(ErrorType.EXTERNAL),
    /** The receiver answered with a status other than 2xx. */
    REJECTED(ErrorType.EXTERNAL);

    private final ErrorType type;

    AlertsErrorCode(ErrorType type) {
        this.type = type;
    }

    @Override
    public ErrorType type() {
        return type;
    }
}
