package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Each safety rule on its own, without an engine around it. */
class SafetyRulesTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final Endpoint READY = new Endpoint("10.0.0.1", 8080);
    private static final ObservedState TWO_READY = new ObservedState(2, 2, 1, 0, List.of(READY), NOW);
    private static final ObservedState STARTING = new ObservedState(1, 1, 0, 0, List.of(), NOW);
    private static final Map<String, SignalValue> KNOWN = Map.of("rps", SignalValue.known(0, NOW));

    private static SafetyRules.Inputs inputs(int current, @Nullable Integer override, ObservedState observed, boolean stale,
            RequestStats requests, Map<String, SignalValue> signals) {
        return new SafetyRules.Inputs(new ReplicaBounds(0, 4), current, override, observed, stale, requests, signals, null);
    }

    private static SafetyRules.Inputs idle(int current) {
        return inputs(current, null, TWO_READY, false, RequestStats.IDLE, KNOWN);
    }

    @Test
    void boundsClampEveryDecisionAndTheOverride() {
        SafetyRules.Inputs minTwo = new SafetyRules.Inputs(new ReplicaBounds(2, 3), 2, null, TWO_READY, false, RequestStats.IDLE, KNOWN, null);
        assertThat(SafetyRules.enforce(Decision.of(9, Routing.FORWARD, "burst"), minTwo).decision().replicas()).isEqualTo(3);
        assertThat(SafetyRules.enforce(Decision.of(1, Routing.FORWARD, "calm"), minTwo).decision().replicas()).isEqualTo(2);

        SafetyRules.Verdict overridden = SafetyRules.enforce(Decision.of(1, Routing.FORWARD, "calm"),
                inputs(1, 10, TWO_READY, false, RequestStats.IDLE, KNOWN));
        assertThat(overridden.decision().replicas()).as("an override is capped at max too").isEqualTo(4);
        assertThat(overridden.decision().reason()).startsWith("manual override: 4 replicas");
    }

    @Test
    void aSafeDecisionPassesUnchanged() {
        Decision zero = Decision.of(0, Routing.HOLD, "idle");
        SafetyRules.Verdict verdict = SafetyRules.enforce(zero, idle(2));
        assertThat(verdict.decision()).isSameAs(zero);
        assertThat(verdict.zeroHeld()).isNull();
    }

    @Test
    void noZeroOnAnUnknownSignal() {
        Map<String, SignalValue> unknown = Map.of("rps", SignalValue.unknown("prometheus timed out", NOW));
        SafetyRules.Verdict verdict = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "idle"),
                inputs(2, null, TWO_READY, false, RequestStats.IDLE, unknown));
        assertThat(verdict.decision().replicas()).isEqualTo(2);
        assertThat(verdict.decision().routing()).as("traffic keeps flowing to the kept replicas").isEqualTo(Routing.FORWARD);
        assertThat(verdict.zeroHeld()).isEqualTo("signal 'rps' is unknown (prometheus timed out)");
    }

    @Test
    void noZeroWhileTheWorkloadCannotBeObserved() {
        SafetyRules.Verdict verdict = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "idle"),
                inputs(2, null, TWO_READY, true, RequestStats.IDLE, KNOWN));
        assertThat(verdict.decision().replicas()).isEqualTo(2);
        assertThat(verdict.zeroHeld()).isEqualTo("the workload cannot be observed");
    }

    @Test
    void noZeroWithRequestsHeldOrInFlight() {
        SafetyRules.Verdict held = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "idle"),
                inputs(1, null, TWO_READY, false, new RequestStats(3, 0, 3, 0, 0), KNOWN));
        assertThat(held.decision().replicas()).isEqualTo(1);
        assertThat(held.zeroHeld()).isEqualTo("3 request(s) held");

        SafetyRules.Verdict inFlight = SafetyRules.enforce(Decision.of(0, Routing.DRAIN, "drain timed out"),
                inputs(1, null, TWO_READY, false, new RequestStats(0, 2, 2, 0, 0), KNOWN));
        assertThat(inFlight.decision().replicas()).isEqualTo(1);
        assertThat(inFlight.decision().routing()).as("a drain stays a drain").isEqualTo(Routing.DRAIN);
        assertThat(inFlight.zeroHeld()).isEqualTo("2 request(s) in flight");
    }

    @Test
    void anOverrideToZeroWaitsForHeldRequestsToo() {
        SafetyRules.Verdict verdict = SafetyRules.enforce(Decision.of(2, Routing.FORWARD, "busy"),
                inputs(2, 0, TWO_READY, false, new RequestStats(1, 0, 1, 0, 0), KNOWN));
        assertThat(verdict.decision().replicas()).isEqualTo(2);
        assertThat(verdict.zeroHeld()).isEqualTo("1 request(s) held");
    }

    @Test
    void zeroFromZeroIsNeverHeld() {
        Map<String, SignalValue> unknown = Map.of("rps", SignalValue.unknown("no value yet", NOW));
        SafetyRules.Verdict verdict = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "started at zero"),
                inputs(0, null, ObservedState.zero(NOW), true, RequestStats.IDLE, unknown));
        assertThat(verdict.decision().replicas()).as("nothing runs: there is nothing to keep").isZero();
        assertThat(verdict.zeroHeld()).isNull();
    }

    @Test
    void aWakeEndsOnlyOnObservedReadiness() {
        // An override opens the route only once a replica is observed ready ...
        SafetyRules.Verdict starting = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "at zero"),
                inputs(0, 1, STARTING, false, new RequestStats(1, 0, 1, 0, 0), KNOWN));
        assertThat(starting.decision().replicas()).isEqualTo(1);
        assertThat(starting.decision().routing()).as("started, not ready: keep holding").isEqualTo(Routing.HOLD);
        SafetyRules.Verdict ready = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "at zero"),
                inputs(1, 1, TWO_READY, false, new RequestStats(1, 0, 1, 0, 0), KNOWN));
        assertThat(ready.decision().routing()).isEqualTo(Routing.FORWARD);

        // ... and a route only ever forwards to, or drains, endpoints observed ready.
        assertThat(SafetyRules.route(Routing.FORWARD, STARTING)).isEqualTo(new Route(Routing.FORWARD, List.of(), List.of()));
        assertThat(SafetyRules.route(Routing.FORWARD, TWO_READY).endpoints()).containsExactly(READY);
        assertThat(SafetyRules.route(Routing.DRAIN, TWO_READY)).isEqualTo(new Route(Routing.DRAIN, List.of(), List.of(READY)));
        assertThat(SafetyRules.route(Routing.HOLD, TWO_READY)).isEqualTo(Route.hold());
    }

    @Test
    void heldRequestsAnsweredByACrashLoopRefusalNeedNoReplica() {
        Route.Refusal refusal = new Route.Refusal("target api cannot start: replica api-1 exited with status 3",
                NOW.plusSeconds(2));
        RequestStats held = new RequestStats(2, 0, 2, 0, 0);
        SafetyRules.Verdict refused = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "gave up waking"),
                new SafetyRules.Inputs(new ReplicaBounds(0, 4), 1, null, STARTING, false, held, KNOWN, refusal));
        assertThat(refused.decision().replicas()).as("the gateway answers them 503: nothing waits for the replica").isZero();
        assertThat(refused.zeroHeld()).isNull();

        SafetyRules.Verdict inFlight = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "gave up waking"),
                new SafetyRules.Inputs(new ReplicaBounds(0, 4), 1, null, STARTING, false, new RequestStats(0, 1, 1, 0, 0), KNOWN,
                        refusal));
        assertThat(inFlight.decision().replicas()).as("a request in flight still needs its replica").isEqualTo(1);
        assertThat(inFlight.zeroHeld()).isEqualTo("1 request(s) in flight");

        SafetyRules.Verdict noRefusal = SafetyRules.enforce(Decision.of(0, Routing.HOLD, "idle"),
                new SafetyRules.Inputs(new ReplicaBounds(0, 4), 1, null, STARTING, false, held, KNOWN, null));
        assertThat(noRefusal.zeroHeld()).isEqualTo("2 request(s) held");
    }

    @Test
    void aCrashLoopRefusalIsPublishedOnlyWhileNoEndpointIsReady() {
        Route.Refusal refusal = new Route.Refusal("target api cannot start: exited with status 3", NOW.plusSeconds(4));
        assertThat(SafetyRules.route(Routing.HOLD, ObservedState.zero(NOW), refusal)).isEqualTo(Route.hold().withRefusal(refusal));
        assertThat(SafetyRules.route(Routing.FORWARD, STARTING, refusal).refusal()).isEqualTo(refusal);
        assertThat(SafetyRules.route(Routing.FORWARD, TWO_READY, refusal).refusal())
                .as("a ready replica serves the request: never refuse it").isNull();
        assertThat(SafetyRules.route(Routing.HOLD, ObservedState.zero(NOW), null)).isEqualTo(Route.hold());
    }
}
