package io.zeroscale.spi;

/**
 * Whose fault an error is, which decides how it is reported and whether retrying can help.
 */
public enum ErrorType {
    /** Bad input from the user (config, policy, API call): fix the input; retrying will not help. */
    USER_ERROR,
    /** A system we talk to failed or is unreachable (API server, metric backend): retrying may help. */
    EXTERNAL,
    /** A bug in Zeroscale or a plugin. */
    INTERNAL_ERROR,
}
