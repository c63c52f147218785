package io.zeroscale.plugin.prometheus;

import io.zeroscale.spi.ErrorCode;
import io.zeroscale.spi.ErrorType;

/**
 * Why a Prometheus query had no value. A query never throws these to the engine: they become
 * {@link io.zeroscale.spi.metrics.SignalValue.Unknown} with the exception's message as the reason;
 * only {@link #QUERY_REJECTED} at validation stops startup (as {@code CONFIG_INVALID}).
 */
public enum PrometheusErrorCode implements ErrorCode {
    /** No connection, or it broke: retried with backoff. */
    UNREACHABLE(ErrorType.EXTERNAL),
    /** The TLS handshake failed, e.g. the server's certificate is not signed by {@code tls.ca-file}: not retried. */
    TLS_FAILED(ErrorType.EXTERNAL),
    /** Prometheus did not answer within {@code timeout}: not retried, a slow server stays slow. */
    TIMEOUT(ErrorType.EXTERNAL),
    /** Prometheus answered with an error (execution error, overload, refused credentials). */
    QUERY_FAILED(ErrorType.EXTERNAL),
    /** Prometheus rejected the query itself ({@code bad_data}): fix the PromQL or the signal's options. */
    QUERY_REJECTED(ErrorType.USER_ERROR),
    /** The answer is not Prometheus's API JSON, or holds a result the signal cannot use. */
    BAD_RESPONSE(ErrorType.EXTERNAL),
    /** No series matched (and the signal does not say {@code empty-as-zero}). */
    EMPTY_RESULT(ErrorType.EXTERNAL),
    /** Several series matched and the signal names no {@code aggregation}. */
    AMBIGUOUS_RESULT(ErrorType.USER_ERROR),
    /** The value is NaN or infinite: there is no number to scale on. */
    NOT_A_NUMBER(ErrorType.EXTERNAL);

    private final ErrorType type;

    PrometheusErrorCode(ErrorType type) {
        this.type = type;
    }

    @Override
    public ErrorType type() {
        return type;
    }
}
