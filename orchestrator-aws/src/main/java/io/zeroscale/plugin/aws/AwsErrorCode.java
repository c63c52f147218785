package io.zeroscale.plugin.aws;

import io.zeroscale.spi.ErrorCode;
import io.zeroscale.spi.ErrorType;

/** Errors of the AWS orchestrators. */
public enum AwsErrorCode implements ErrorCode {
    /**
     * AWS throttled the call (Throttling, RequestLimitExceeded, HTTP 429). The SDK does not retry
     * it: the engine's retry layer does, with its backoff, and counts it in {@code
     * zeroscale.orchestrator.errors{code="THROTTLED"}}.
     */
    THROTTLED(ErrorType.EXTERNAL),
    /** AWS could not be reached, timed out or answered with a server error. */
    AWS_UNAVAILABLE(ErrorType.EXTERNAL),
    /** AWS refused the call for a passing reason (a scaling activity in progress, contention). */
    AWS_REJECTED(ErrorType.EXTERNAL),
    /** AWS refused a value as invalid (ValidationError); the message names the config key to fix. */
    INVALID_REQUEST(ErrorType.USER_ERROR),
    /** The credentials lack a permission; {@code deploy/aws/iam-policy.json} lists the ones needed. */
    ACCESS_DENIED(ErrorType.USER_ERROR),
    /** The credentials are missing, unknown or expired. */
    BAD_CREDENTIALS(ErrorType.USER_ERROR),
    /** The Auto Scaling group named by a target does not exist in the orchestrator's region. */
    GROUP_NOT_FOUND(ErrorType.USER_ERROR),
    /** The ECS service named by a target does not exist in its cluster (or was deleted: INACTIVE). */
    SERVICE_NOT_FOUND(ErrorType.USER_ERROR),
    /** The count asked for lies outside the group's MinSize..MaxSize and the config does not allow changing it. */
    OUTSIDE_GROUP_LIMITS(ErrorType.USER_ERROR),
    /**
     * A pause asked of an Auto Scaling group without a warm pool that takes instances back on
     * scale-in ({@code InstanceReusePolicy.ReuseOnScaleIn}): its scale-in would terminate them.
     */
    NO_WARM_POOL(ErrorType.USER_ERROR),
    /** A call named a target that was never attached to this orchestrator. */
    UNKNOWN_TARGET(ErrorType.USER_ERROR);

    private final ErrorType type;

    AwsErrorCode(ErrorType type) {
        this.type = type;
    }

    @Override
    public ErrorType type() {
        return type;
    }
}
