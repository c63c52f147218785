package io.zeroscale.engine;

import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The engine's safety rules, applied to every decision of every automaton before anything acts on
 * it. Pure functions of what the target knows, so each rule is tested on its own:
 *
 * <ol>
 *   <li>bounds: never outside {@code [min, max]} (an operator override is capped at max too);
 *   <li>unknown is not zero: never to zero while a signal is unknown, the workload cannot be
 *       observed, or a gateway that reports this target's traffic has gone silent;
 *   <li>never to zero while a request is held or in flight (held requests the gateway answers
 *       with a crash-loop refusal are not waiting for a replica, so they do not count);
 *   <li>a wake ends only on observed readiness: a route forwards only to endpoints the
 *       orchestrator observed ready, and an override opens the route only once one is.
 * </ol>
 *
 * When a rule keeps replicas the route keeps forwarding to them, and the verdict says why (the
 * journal and the {@code zeroscale.safety.holds} metric report it).
 */
final class SafetyRules {
    private SafetyRules() {}

    /**
     * What the target knows when a decision is checked.
     *
     * @param current the replicas of the last applied decision, or the observed ones before any
     * @param override an operator's pinned replica count, null when none
     * @param refusal the crash-loop refusal the gateway answers requests with (the engine gave up on
     *     a wake and backs restarts off), null when requests are held as usual
     * @param requestsUnknown why the gateways' counters are incomplete (a gateway went silent),
     *     null when every reporting gateway is live
     */
    record Inputs(
            ReplicaBounds bounds,
            int current,
            @Nullable Integer override,
            ObservedState observed,
            boolean observationStale,
            RequestStats requests,
            Map<String, SignalValue> signals,
            Route.@Nullable Refusal refusal,
            @Nullable String requestsUnknown) {
        /** Inputs with every reporting gateway live. */
        Inputs(ReplicaBounds bounds, int current, @Nullable Integer override, ObservedState observed, boolean observationStale,
                RequestStats requests, Map<String, SignalValue> signals, Route.@Nullable Refusal refusal) {
            this(bounds, current, override, observed, observationStale, requests, signals, refusal, null);
        }
    }

    /**
     * The decision to apply, and why zero was refused (null when it was not).
     *
     * @param zeroHeld the reason a scale to zero was refused, for the journal; null otherwise
     */
    record Verdict(Decision decision, @Nullable String zeroHeld) {}

    /** Applies every rule to {@code decision}; returns it unchanged when it is already safe. */
    static Verdict enforce(Decision decision, Inputs in) {
        int replicas = in.bounds().clamp(decision.replicas());
        Routing routing = decision.routing();
        String reason = decision.reason();
        if (in.override() != null) {
            replicas = Math.min(in.override(), in.bounds().max());
            reason = "manual override: " + replicas + " replicas (automaton wanted " + decision.replicas() + ")";
            if (replicas > 0 && routing == Routing.HOLD && !in.observed().readyEndpoints().isEmpty()) {
                routing = Routing.FORWARD; // rule 4: only once a replica is observed ready
            }
        }
        String zeroHeld = null;
        if (replicas == 0 && in.current() > 0) {
            zeroHeld = unsafeZeroReason(in);
            if (zeroHeld != null) {
                replicas = in.current();
                reason = "kept " + in.current() + " replicas: " + zeroHeld + " (" + decision.reason() + ")";
                if (routing == Routing.HOLD) {
                    routing = Routing.FORWARD;
                }
            }
        }
        if (replicas == decision.replicas() && routing == decision.routing() && reason.equals(decision.reason())) {
            return new Verdict(decision, zeroHeld);
        }
        return new Verdict(new Decision(replicas, routing, decision.paused(), decision.profile(), reason, decision.actions()), zeroHeld);
    }

    /** Rules 2 and 3: why zero is unsafe right now, or null when it is safe. */
    static @Nullable String unsafeZeroReason(Inputs in) {
        // Held requests the gateway is answering with a crash-loop refusal need no replica.
        if (in.requests().held() > 0 && in.refusal() == null) {
            return in.requests().held() + " request(s) held";
        }
        if (in.requests().inFlight() > 0) {
            return in.requests().inFlight() + " request(s) in flight";
        }
        if (in.requestsUnknown() != null) {
            return in.requestsUnknown();
        }
        if (in.observationStale()) {
            return "the workload cannot be observed";
        }
        for (Map.Entry<String, SignalValue> signal : in.signals().entrySet()) {
            if (signal.getValue() instanceof SignalValue.Unknown unknown) {
                return "signal '" + signal.getKey() + "' is unknown (" + unknown.reason() + ")";
            }
        }
        return null;
    }

    /**
     * Rule 4: the gateway's route for {@code routing}, built only from what was observed ready; a
     * replica the orchestrator started but has not seen ready never receives a request.
     */
    static Route route(Routing routing, ObservedState observed) {
        return route(routing, observed, null);
    }

    /**
     * {@link #route(Routing, ObservedState)}, refusing requests with {@code refusal} (503 with the
     * reason and Retry-After) while no endpoint is ready: a refusal never turns away a request a
     * ready replica could serve.
     */
    static Route route(Routing routing, ObservedState observed, Route.@Nullable Refusal refusal) {
        Route route = switch (routing) {
            case FORWARD -> new Route(Routing.FORWARD, observed.readyEndpoints(), List.of());
            case HOLD -> Route.hold();
            case DRAIN -> new Route(Routing.DRAIN, List.of(), observed.readyEndpoints());
        };
        return route.endpoints().isEmpty() && refusal != null ? route.withRefusal(refusal) : route;
    }
}
