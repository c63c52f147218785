package io.zeroscale.spi;

/**
 * A stable, machine-readable error code. {@link StandardErrorCode} holds the engine's own codes;
 * each plugin may define an enum of its own (for example {@code PrometheusErrorCode}).
 */
public interface ErrorCode {
    /** A stable upper-case identifier, e.g. {@code CONFIG_INVALID}; shown to users and in metrics. */
    String name();

    /** Whose fault it is. */
    ErrorType type();
}
