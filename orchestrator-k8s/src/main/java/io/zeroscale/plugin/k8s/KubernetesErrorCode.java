package io.zeroscale.plugin.k8s;

import io.zeroscale.spi.ErrorCode;
import io.zeroscale.spi.ErrorType;

/** Errors of the {@code kubernetes} orchestrator. */
public enum KubernetesErrorCode implements ErrorCode {
    /** The API server cannot be reached, timed out, or answered with a server error. */
    API_UNAVAILABLE(ErrorType.EXTERNAL),
    /** The API server refused the call (forbidden, invalid, a conflict that did not settle). */
    API_REJECTED(ErrorType.EXTERNAL),
    /**
     * The workload does not exist (yet). External, not a config error: a GitOps tool may create it
     * after the daemon starts, and the engine retries until it is there.
     */
    WORKLOAD_NOT_FOUND(ErrorType.EXTERNAL),
    /** Something else scales the workload (a HorizontalPodAutoscaler): the two would fight. */
    SCALED_BY_ANOTHER(ErrorType.USER_ERROR),
    /**
     * The chosen pods cannot be removed as asked: a StatefulSet removes its highest ordinals only,
     * and kinds other than Deployment, ReplicaSet and StatefulSet get a plain scale-down.
     */
    CANNOT_REMOVE(ErrorType.USER_ERROR),
    /**
     * A bypassing target's clients cannot be sent to the gateway: its Service lists no ready
     * endpoint (yet). External: the gateway's pods may come up later, and the engine asks again.
     */
    NO_GATEWAY(ErrorType.EXTERNAL),
    /** A call named a target that was never attached to this orchestrator. */
    UNKNOWN_TARGET(ErrorType.USER_ERROR);

    private final ErrorType type;

    KubernetesErrorCode(ErrorType type) {
        this.type = type;
    }

    @Override
    public ErrorType type() {
        return type;
    }
}
