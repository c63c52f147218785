package io.zeroscale.gateway;

/** How the gateway picks one of a target's ready endpoints for a new request. */
public enum LoadBalancing {
    /**
     * Power of two choices: pick two ready endpoints at random and send the request to the one with
     * fewer requests in flight. Close to "least loaded" without a global scan, and it avoids the herd
     * that a strict least-in-flight choice causes when a new endpoint appears.
     */
    LEAST_INFLIGHT,
    /** Each ready endpoint in turn. */
    ROUND_ROBIN;

    /** The spelling used in config, e.g. {@code least-inflight}. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
