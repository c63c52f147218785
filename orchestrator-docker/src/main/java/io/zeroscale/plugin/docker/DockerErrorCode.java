package io.zeroscale.plugin.docker;

import io.zeroscale.spi.ErrorCode;
import io.zeroscale.spi.ErrorType;

/** Errors of the {@code docker} orchestrator. */
public enum DockerErrorCode implements ErrorCode {
    /** The engine's socket or address cannot be reached, or the call timed out. */
    ENGINE_UNAVAILABLE(ErrorType.EXTERNAL),
    /** The engine answered but refused the call (conflict, server error). */
    ENGINE_REJECTED(ErrorType.EXTERNAL),
    /** The configured image does not exist on a host; it must be pulled or built there first. */
    IMAGE_NOT_FOUND(ErrorType.USER_ERROR),
    /** An adopted group was asked for more containers than carry its label and no image is set. */
    NOT_ENOUGH_CONTAINERS(ErrorType.USER_ERROR),
    /** A call named a target that was never attached to this orchestrator. */
    UNKNOWN_TARGET(ErrorType.USER_ERROR);

    private final ErrorType type;

    DockerErrorCode(ErrorType type) {
        this.type = type;
    }

    @Override
    public ErrorType type() {
        return type;
    }
}
