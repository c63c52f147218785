package io.zeroscale.engine.automaton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.testkit.TestTargetContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TargetTrackingAutomatonTest {
    private final TestTargetContext context = TestTargetContext.create();

    private static Automaton automaton(Map<String, ?> settings, int min, int max) {
        return new TargetTrackingAutomatonFactory().create(Specs.spec(min, max, Set.of("cpu", "rps"), settings),
                Specs.pluginContext());
    }

    private static Automaton inflightPerFour() {
        return automaton(Map.of("target", Map.of("signal", "inflight", "per-replica", 4)), 0, 8);
    }

    private void inflight(int requests) {
        context.setRequests(new RequestStats(0, requests, requests, 0, 0));
    }

    @Test
    void startSizesFromTheObservedReplicasAndForwardsToReadyEndpoints() {
        Automaton automaton = inflightPerFour();
        context.setObserved(Specs.ready(2, context.now()));
        inflight(13);

        Decision decision = context.deliver(automaton, new Event.Start(context.observed()));

        assertThat(decision.replicas()).isEqualTo(4);
        assertThat(decision.routing()).isEqualTo(Routing.FORWARD);
        assertThat(decision.reason()).isEqualTo("inflight 13.0 / 4 per replica -> 4 replicas");
        assertThat(automaton.state()).isEqualTo("TRACKING");
        assertThat(automaton.states()).containsExactly("TRACKING");
    }

    @Test
    void holdsRequestsWhileNothingIsReady() {
        Automaton automaton = inflightPerFour();
        inflight(3);

        Decision decision = context.deliver(automaton, new Event.Start(ObservedState.zero(context.now())));
        assertThat(decision.replicas()).isEqualTo(1);
        assertThat(decision.routing()).isEqualTo(Routing.HOLD);

        context.setObserved(Specs.ready(1, context.now()));
        decision = context.deliver(automaton, new Event.ObservedChanged(context.observed()));
        assertThat(decision.routing()).isEqualTo(Routing.FORWARD);
        assertThat(decision.replicas()).isEqualTo(1);
    }

    @Test
    void requestCountersDriveAGatewaySignal() {
        Automaton automaton = inflightPerFour();
        context.setObserved(Specs.ready(1, context.now()));
        inflight(4);
        context.deliver(automaton, new Event.Start(context.observed()));

        inflight(20);
        assertThat(context.deliver(automaton, new Event.RequestsChanged()).replicas()).isEqualTo(5);
    }

    @Test
    void onlyTheTrackedSignalTriggersAnEvaluation() {
        Automaton automaton = automaton(Map.of("target", Map.of("signal", "rps", "per-replica", 10)), 0, 8);
        context.setObserved(Specs.ready(1, context.now()));
        context.setSignal("rps", 10);
        context.deliver(automaton, new Event.Start(context.observed()));

        context.setSignal("rps", 40);
        assertThat(context.deliver(automaton, new Event.SignalChanged("cpu")).replicas()).isEqualTo(1);
        assertThat(context.deliver(automaton, new Event.RequestsChanged()).replicas()).isEqualTo(1);
        assertThat(context.deliver(automaton, new Event.SignalChanged("rps")).replicas()).isEqualTo(4);
    }

    @Test
    void currentReplicasAreTheLastDecisionSoAStartingReplicaIsNotAskedForTwice() {
        Automaton automaton = automaton(Map.of("target", Map.of("signal", "rps", "per-replica", 1),
                "behavior", Map.of("scale-up", Map.of("policies", List.of(
                        Map.of("type", "Pods", "value", 2, "period", "1m"))))), 0, 20);
        context.setObserved(Specs.ready(1, context.now()));
        context.setSignal("rps", 10);

        assertThat(context.deliver(automaton, new Event.Start(context.observed())).replicas()).isEqualTo(3);
        // the new replicas are still starting (observed 1); 2 pods per minute were already added
        context.advance(automaton, Duration.ofSeconds(30));
        assertThat(context.deliver(automaton, new Event.Tick()).replicas()).isEqualTo(3);
        context.advance(automaton, Duration.ofSeconds(30));
        assertThat(context.deliver(automaton, new Event.Tick()).replicas()).isEqualTo(5);
    }

    @Test
    void scalesDownOnlyAfterTheDefaultFiveMinuteWindow() {
        Automaton automaton = inflightPerFour();
        context.setObserved(Specs.ready(4, context.now()));
        inflight(16);
        context.deliver(automaton, new Event.Start(context.observed()));

        inflight(0);
        for (int second = 1; second < 300; second++) {
            context.advance(automaton, Duration.ofSeconds(1));
            assertThat(context.deliver(automaton, new Event.Tick()).replicas()).isEqualTo(4);
        }
        context.advance(automaton, Duration.ofSeconds(1));
        Decision decision = context.deliver(automaton, new Event.Tick());
        assertThat(decision.replicas()).isZero();
        assertThat(decision.reason()).isEqualTo("inflight 0.0 / 4 per replica -> 0 replicas");
    }

    @Test
    void unknownSignalHoldsAndSaysSo() {
        Automaton automaton = automaton(Map.of("target", Map.of("signal", "cpu", "utilization", 0.6)), 0, 8);
        context.setObserved(Specs.ready(3, context.now()));
        context.setSignalUnknown("cpu", "no series matched");

        Decision decision = context.deliver(automaton, new Event.Start(context.observed()));

        assertThat(decision.replicas()).isEqualTo(3);
        assertThat(decision.reason()).isEqualTo("cpu unknown (no series matched); holding 3 replicas");
    }

    @Test
    void failuresKeepTheDecision() {
        Automaton automaton = inflightPerFour();
        context.setObserved(Specs.ready(2, context.now()));
        inflight(8);
        Decision started = context.deliver(automaton, new Event.Start(context.observed()));

        assertThat(context.deliver(automaton, new Event.ObservationFailed("timeout"))).isEqualTo(started);
        assertThat(context.deliver(automaton, new Event.ReplicaFailed("app-1", "exit 1"))).isEqualTo(started);
        assertThat(context.deliver(automaton, new Event.ActuationFailed("circuit open"))).isEqualTo(started);
        assertThat(context.deliver(automaton, new Event.Drained(List.of(Specs.endpoint(8080))))).isEqualTo(started);
    }

    @Test
    void illegalEventsAreErrors() {
        Automaton automaton = inflightPerFour();
        assertThatThrownBy(() -> context.deliver(automaton, new Event.Tick()))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("before Start")
                .extracting(e -> ((ZeroscaleException) e).errorCode())
                .isEqualTo(StandardErrorCode.ILLEGAL_TRANSITION);

        context.deliver(automaton, new Event.Start(context.observed()));
        assertThatThrownBy(() -> context.deliver(automaton, new Event.TimerFired("idle")))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("cannot handle TimerFired")
                .extracting(e -> ((ZeroscaleException) e).errorCode())
                .isEqualTo(StandardErrorCode.ILLEGAL_TRANSITION);
    }

    @Test
    void factoryRejectsUnknownKeysAndAMissingTarget() {
        TargetTrackingAutomatonFactory factory = new TargetTrackingAutomatonFactory();
        assertThat(factory.type()).isEqualTo("target-tracking");
        assertThatThrownBy(() -> automaton(Map.of("target", Map.of("signal", "cpu", "value", 1), "behaviour", Map.of()), 0, 4))
                .hasMessage("targets.app.policy.behaviour: unknown key; did you mean 'behavior'?");
        assertThatThrownBy(() -> automaton(Map.of(), 0, 4))
                .hasMessage("targets.app.policy.target: required key is missing; add a mapping");
    }

    @Test
    void everyMistakeOfTheTargetAndBehaviorIsReportedTogether() {
        Map<String, Object> settings = Map.of(
                "target", Map.of("signal", "cpux", "utilization", 0.6, "tolerance", 1.5),
                "behavior", Map.of("scale-up", Map.of("stabilization-window", "2h"),
                        "scale-down", Map.of("select-policy", "Sometimes")));
        assertThatThrownBy(() -> automaton(settings, 0, 4))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.problems())
                        .extracting(problem -> problem.substring(0, problem.indexOf(':')))
                        .containsExactly("targets.app.policy.behavior.scale-down.select-policy",
                                "targets.app.policy.behavior.scale-up.stabilization-window",
                                "targets.app.policy.target.signal", "targets.app.policy.target.tolerance"));
    }
}
