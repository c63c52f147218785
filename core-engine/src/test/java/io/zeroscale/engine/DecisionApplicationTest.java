package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What applying a decision does, and in which order, without an engine around it. */
class DecisionApplicationTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final ObservedState TWO = new ObservedState(2, 2, 2, 0, List.of(new Endpoint("10.0.0.1", 8080)), NOW);
    private static final Map<String, SignalValue> KNOWN = Map.of("rps", SignalValue.known(0, NOW));
    private final List<String> effects = new ArrayList<>();
    private final DecisionApplication decisions = new DecisionApplication(new DecisionApplication.Effects() {
        @Override
        public void journal(JournalEntry.Kind kind, String message) {
            effects.add(kind + " " + message);
        }

        @Override
        public void zeroHeld() {
            effects.add("zero held");
        }

        @Override
        public void changed(String from, String to, Decision decision) {
            effects.add("changed " + from + "->" + to + " " + decision.replicas());
        }

        @Override
        public void alert(Action.Alert alert) {
            effects.add("alert " + alert.message());
        }

        @Override
        public void failHeld(int status, String reason) {
            effects.add("fail held " + status);
        }

        @Override
        public void publishRoute() {
            effects.add("route");
        }

        @Override
        public void actuate(Decision decision) {
            effects.add("actuate " + decision.replicas());
        }

        @Override
        public void wakeAsFollower(Decision decision) {
            effects.add("follower " + decision.replicas());
        }
    });

    private SafetyRules.Inputs inputs(RequestStats requests) {
        return new SafetyRules.Inputs(new ReplicaBounds(0, 4), decisions.currentReplicas(TWO), null, TWO, false, requests,
                KNOWN, null);
    }

    @Test
    void aChangeIsJournalledAnnouncedActedOnThenRoutedAndActuatedByTheLeader() {
        Decision decision = Decision.of(2, Routing.FORWARD, "busy")
                .withActions(new Action.Alert(Action.Severity.WARNING, "slow"), new Action.FailHeld(503, "gave up"));
        decisions.apply("ZERO", "ACTIVE", decision, inputs(RequestStats.IDLE), true);

        assertThat(effects).containsExactly("DECISION ZERO -> ACTIVE: busy", "changed ZERO->ACTIVE 2", "alert slow",
                "FAILED_HELD held requests answered 503: gave up", "fail held 503", "route", "actuate 2");
        assertThat(decisions.applied()).isEqualTo(decision);
    }

    @Test
    void theSameEffectInTheSameStateIsNotJournalledAgainAndAFollowerOnlyWakes() {
        decisions.apply("ZERO", "ACTIVE", Decision.of(2, Routing.FORWARD, "busy"), inputs(RequestStats.IDLE), false);
        effects.clear();

        decisions.apply("ACTIVE", "ACTIVE", Decision.of(2, Routing.FORWARD, "still busy"), inputs(RequestStats.IDLE), false);
        assertThat(effects).containsExactly("route", "follower 2");
    }

    @Test
    void aZeroTheSafetyRulesHoldBackIsJournalledOncePerReason() {
        decisions.apply("ACTIVE", "ACTIVE", Decision.of(2, Routing.FORWARD, "busy"), inputs(RequestStats.IDLE), true);
        effects.clear();
        RequestStats oneInFlight = new RequestStats(0, 1, 1, 0, 0, 0);

        decisions.apply("ACTIVE", "IDLE", Decision.of(0, Routing.HOLD, "idle"), inputs(oneInFlight), true);
        assertThat(effects).first().isEqualTo("zero held");
        assertThat(effects.get(1)).startsWith("SAFETY kept 2 replicas instead of 0: ");
        assertThat(effects).last().isEqualTo("actuate 2");
        assertThat(requireNonNull(decisions.applied()).replicas()).as("the safe decision is the applied one").isEqualTo(2);
        effects.clear();

        decisions.apply("IDLE", "IDLE", Decision.of(0, Routing.HOLD, "idle"), inputs(oneInFlight), true);
        assertThat(effects).as("the same hold is not journalled twice").noneMatch(effect -> effect.startsWith("SAFETY"))
                .doesNotContain("zero held");

        decisions.forget();
        assertThat(decisions.applied()).isNull();
        assertThat(decisions.currentReplicas(TWO)).as("before any decision: what the backend shows").isEqualTo(2);
    }
}
