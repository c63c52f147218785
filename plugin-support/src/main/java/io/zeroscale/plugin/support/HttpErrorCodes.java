package io.zeroscale.plugin.support;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.ErrorCode;

/**
 * The error codes a source's {@link HttpTransport} reports its failures with. Each source passes
 * its own (e.g. {@code PrometheusErrorCode.UNREACHABLE}), so a failure names the plugin it came
 * from and the plugin's public error-code enum stays complete.
 *
 * @param unreachable no connection, a broken connection, or a closed source; the only failure retried
 * @param timeout no answer within the timeout; not retried
 * @param tlsFailed the TLS handshake failed; not retried
 */
public record HttpErrorCodes(ErrorCode unreachable, ErrorCode timeout, ErrorCode tlsFailed) {
    /** @throws NullPointerException when a code is null */
    public HttpErrorCodes {
        requireNonNull(unreachable, "unreachable is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(tlsFailed, "tlsFailed is null");
    }
}
