package io.zeroscale.spi;

/** Error codes shared by the engine and all plugins. */
public enum StandardErrorCode implements ErrorCode {
    /** A configuration value is missing, unknown, or has the wrong type or range. */
    CONFIG_INVALID(ErrorType.USER_ERROR),
    /** A policy or automaton definition is inconsistent (unknown state, bad expression, min > max). */
    POLICY_INVALID(ErrorType.USER_ERROR),
    /** A plugin type, orchestrator, metric source or target named in config does not exist. */
    NOT_FOUND(ErrorType.USER_ERROR),
    /** An orchestrator's backend could not be reached or refused a call. */
    ORCHESTRATOR_UNAVAILABLE(ErrorType.EXTERNAL),
    /** A metric source's backend could not be reached or answered with an error. */
    METRIC_SOURCE_UNAVAILABLE(ErrorType.EXTERNAL),
    /** Applying a decision failed after retries, or the circuit breaker is open. */
    ACTUATION_FAILED(ErrorType.EXTERNAL),
    /** The state store could not read or write operator state (a disk, the cluster). */
    STATE_STORE_UNAVAILABLE(ErrorType.EXTERNAL),
    /** The data directory is in use by another running daemon (or engine) with the same data directory. */
    DATA_DIRECTORY_IN_USE(ErrorType.USER_ERROR),
    /** An automaton attempted a transition its table does not allow. */
    ILLEGAL_TRANSITION(ErrorType.INTERNAL_ERROR),
    /** Anything else that should not happen. */
    INTERNAL(ErrorType.INTERNAL_ERROR);

    private final ErrorType type;

    StandardErrorCode(ErrorType type) {
        this.type = type;
    }

    @Override
    public ErrorType type() {
        return type;
    }
}
