package io.zeroscale.plugin.tempo;

import io.zeroscale.spi.ErrorCode;
import io.zeroscale.spi.ErrorType;

/**
 * Why a Tempo query had no value. A query never throws these to the engine: they become {@link
 * io.zeroscale.spi.metrics.SignalValue.Unknown} with the exception's message as the reason; only
 * {@link #QUERY_REJECTED} at validation stops startup (as {@code CONFIG_INVALID}).
 */
public enum TempoErrorCode implements ErrorCode {
    /** No connection, or it broke: retried with backoff. */
    UNREACHABLE(ErrorType.EXTERNAL),
    /** The TLS handshake failed, e.g. the server's certificate is not signed by {@code tls.ca-file}: not retried. */
    TLS_FAILED(ErrorType.EXTERNAL),
    /** Tempo did not answer within {@code timeout}: not retried, a slow server stays slow. */
    TIMEOUT(ErrorType.EXTERNAL),
    /** Tempo answered with an error (refused credentials, missing org id, overload, internal error). */
    QUERY_FAILED(ErrorType.EXTERNAL),
    /** Tempo rejected the query (HTTP 400): fix the TraceQL, the signal's options or {@code ingest-lag}. */
    QUERY_REJECTED(ErrorType.USER_ERROR),
    /** The answer is not Tempo's API JSON. */
    BAD_RESPONSE(ErrorType.EXTERNAL),
    /** Tempo said its answer is partial, or a search hit its limit: the number would be wrong. */
    INCOMPLETE(ErrorType.EXTERNAL),
    /** Nothing matched in the window (and the signal does not say {@code empty-as-zero}). */
    EMPTY_RESULT(ErrorType.EXTERNAL),
    /** Several series matched and the signal names no {@code aggregation}. */
    AMBIGUOUS_RESULT(ErrorType.USER_ERROR),
    /** The value is NaN or infinite: there is no number to scale on. */
    NOT_A_NUMBER(ErrorType.EXTERNAL);

    private final ErrorType type;

    TempoErrorCode(ErrorType type) {
        this.type = type;
    }

    @Override
    public ErrorType type() {
        return type;
    }
}
