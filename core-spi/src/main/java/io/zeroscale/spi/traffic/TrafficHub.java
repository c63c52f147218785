package io.zeroscale.spi.traffic;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.util.List;

/**
 * What a gateway talks to: it reports request signals here and receives routes. In one process the
 * hub is the local engine; with several daemons it carries reports to the leader and routes back.
 * All methods are thread-safe and never block; reports are coalesced per target.
 */
public interface TrafficHub {
    /** The gateway's current counters for {@code target}; a rise in {@code held} wakes it. */
    void report(TargetRef target, RequestStats stats);

    /** The endpoints the engine asked to drain have no request in flight any more. */
    void drained(TargetRef target, List<Endpoint> endpoints);

    /**
     * A forward to {@code endpoint} was refused (connection refused, reset before a response): the
     * workload may have been stopped behind our back. The engine re-observes; the gateway holds the
     * request meanwhile instead of answering 502.
     */
    void endpointRefused(TargetRef target, Endpoint endpoint, String reason);

    /**
     * Delivers every target's current route to {@code listener} at once, then each change.
     */
    Subscription subscribe(RouteListener listener);
}
