package io.zeroscale.spi.traffic;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.util.List;

/**
 * What a gateway talks to: it reports request signals here and receives routes. In one process the
 * hub is the local engine; with several daemons a plugin may supply a hub that also carries reports
 * to the leader (see {@link TrafficHubFactory}).
 *
 * <p>Several gateways may report to one hub. Every call names its gateway by an id that is unique
 * among the gateways of one deployment and stable for the gateway's life (the gateway module uses
 * host name, process id and a counter unless told otherwise). The engine keeps the newest counters
 * per gateway and target, sums {@code held} and {@code inFlight} over the gateways, derives rates
 * from each gateway's own monotonic counters, and ends a drain only when every live gateway
 * reported it drained.
 *
 * <p>Liveness: a gateway reports only when its counters change, so between changes it calls
 * {@link #heartbeat} at a fixed interval. A gateway heard from neither way for longer than the
 * engine's reporter TTL ({@code traffic.reporter-ttl}, 15 s by default) is unknown, never zero: no
 * target it routes scales to zero until it is heard from again, it {@link #left leaves}, or it has
 * been silent for {@code traffic.forget-after} (10 min by default). Heartbeat well within the TTL
 * (the gateway module's default is every 5 s).
 *
 * <p>Called by gateways from their I/O threads: every method is thread-safe, never blocks and is
 * idempotent for equal arguments (a repeated report or heartbeat changes nothing). Reports are
 * coalesced per gateway and target.
 */
public interface TrafficHub {
    /**
     * The gateway's current counters for {@code target}; a rise in {@code held} wakes it. Also
     * counts as a heartbeat of {@code gateway}.
     *
     * @param gateway the reporting gateway's id, not blank
     */
    void report(String gateway, TargetRef target, RequestStats stats);

    /**
     * The endpoints the engine asked to drain have no request of this gateway in flight any more.
     * The drain ends once every live gateway reported them drained.
     *
     * @param gateway the reporting gateway's id, not blank
     */
    void drained(String gateway, TargetRef target, List<Endpoint> endpoints);

    /**
     * As {@link #drained(String, TargetRef, List)}, naming the drain: {@code drain} is the {@link
     * Route#drain()} of the route that started draining these endpoints. The engine ignores a
     * report whose drain is older than the one now running for an endpoint (the drain it reports
     * was cancelled, and the endpoint is being drained again). The default passes the report on
     * without its id, for hubs written before drain ids.
     *
     * @param gateway the reporting gateway's id, not blank
     * @param drain the drain's id; 0 when unknown (always accepted)
     */
    default void drained(String gateway, TargetRef target, long drain, List<Endpoint> endpoints) {
        drained(gateway, target, endpoints);
    }

    /**
     * A forward to {@code endpoint} was refused (connection refused, reset before a response): the
     * workload may have been stopped behind our back. The engine re-observes; the gateway holds the
     * request meanwhile instead of answering 502.
     *
     * @param gateway the reporting gateway's id, not blank
     */
    void endpointRefused(String gateway, TargetRef target, Endpoint endpoint, String reason);

    /**
     * {@code gateway} is up and its last reports still hold. Called by the gateway at a fixed
     * interval, shorter than the engine's reporter TTL.
     *
     * @param gateway the gateway's id, not blank
     */
    void heartbeat(String gateway);

    /**
     * {@code gateway} stops and has answered or cut every request it held or forwarded: its
     * counters are dropped at once instead of turning unknown after the TTL. Called once, when the
     * gateway closes; a report from the same id afterwards makes it a reporter again.
     *
     * @param gateway the gateway's id, not blank
     */
    void left(String gateway);

    /**
     * Delivers every target's current route to {@code listener} at once, then each change.
     *
     * @return closing it stops the deliveries
     */
    Subscription subscribe(RouteListener listener);
}
