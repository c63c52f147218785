package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.TargetRef;

/**
 * Capability: while a target is warm, its clients can reach its ready replicas without passing
 * through the gateway (the backend's own load balancing, e.g. a Kubernetes Service whose endpoints
 * are the pods), and at zero they reach the gateway, which holds their requests and wakes the
 * target. Opt-in per target: {@link #bypassesGateway} says which targets use it.
 *
 * <p>How the engine uses it (the leader only; a follower never calls it): for a target that
 * bypasses the gateway, it asks for the client path the applied decision needs, in the target's
 * call queue, in decision order with its other calls, and only when it differs from what it asked
 * last: {@link #sendDirect} when the decision forwards to replicas ({@code Routing.FORWARD} with
 * at least one replica), {@link #sendThroughGateway} otherwise (holding, draining, zero).
 *
 * <p>Contract (ordering): the engine publishes a route that drains the target's replicas ({@code
 * Routing.DRAIN}) only after {@link #sendThroughGateway} returned: until then it keeps forwarding to
 * them, so no client is sent to replicas on their way out, and the gateway sees every new request
 * before the drain starts. A {@code scale} to 0 is queued after that call. An implementation should
 * also refuse to scale a bypassing target to 0 while its clients are still sent to the replicas,
 * since a failed switch must not leave clients pointing at removed replicas.
 *
 * <p>While clients bypass it, the gateway does not see their requests: the engine's idle
 * detection then hears of traffic only from signals (metric sources) or once the target drains
 * and clients come back through the gateway (a request while draining makes it active again).
 */
public interface GatewayBypass {
    /**
     * Whether {@code target}'s clients bypass the gateway while it is warm (its settings opted in).
     * Asked once, after {@link Orchestrator#attach}; must not call the backend.
     */
    boolean bypassesGateway(TargetRef target);

    /**
     * Sends {@code target}'s clients to its ready replicas from now on, and keeps doing so as
     * replicas become ready or leave, until {@link #sendThroughGateway}; while none is ready, to the
     * gateway. Returns once the backend accepted the change (not once every client saw it).
     *
     * <p>Called by the engine from a virtual thread, in the target's call queue. Idempotent.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code ORCHESTRATOR_UNAVAILABLE} or the
     *     orchestrator's own codes when the backend refused; the engine journals it and asks again
     *     with its next decision (clients keep going through the gateway meanwhile)
     */
    void sendDirect(TargetRef target);

    /**
     * Sends {@code target}'s clients to the gateway from now on, whatever its replicas do, until
     * {@link #sendDirect}. Returns once the backend accepted the change.
     *
     * <p>Called by the engine from a virtual thread, in the target's call queue. Idempotent.
     *
     * @throws io.zeroscale.spi.ZeroscaleException when the backend could not be changed; the engine
     *     journals it, does not start the drain it was for, and asks again with its next decision
     */
    void sendThroughGateway(TargetRef target);
}
