package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The zero-to-n lifecycle through the whole engine, on virtual time. */
class ZeroToNEngineTest {
    private static final String TARGET = EngineHarness.ZERO_TO_N_DRAIN_30S;

    @Test
    void heldRequestWakesTargetFromZeroAndReadinessReleasesIt() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5))) {
            engine.advance(Duration.ofSeconds(10));
            assertThat(engine.state()).isEqualTo("ZERO");
            assertThat(engine.orchestrator.scaleCalls()).isEmpty();

            engine.holdRequest();

            assertThat(engine.state()).isEqualTo("WAKING");
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1);
            assertThat(engine.route().routing()).isEqualTo(Routing.HOLD);

            engine.advance(Duration.ofMillis(4999));
            assertThat(engine.state()).as("not ready before the replica is observed ready").isEqualTo("WAKING");

            engine.advance(Duration.ofMillis(1));
            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(engine.route().routing()).isEqualTo(Routing.FORWARD);
            assertThat(engine.route().endpoints()).containsExactly(new Endpoint("10.0.0.1", 8080));
        }
    }

    @Test
    void scalesToZeroOnlyAfterIdleWithNothingInFlight() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();

            // A long request (a stream) keeps the target awake far beyond idle.
            engine.advance(Duration.ofMinutes(20));
            assertThat(engine.state()).isEqualTo("ACTIVE");

            engine.finishRequest();
            engine.advance(Duration.ofMinutes(5).minusSeconds(1));
            assertThat(engine.state()).as("idle not yet elapsed").isEqualTo("ACTIVE");

            engine.advance(Duration.ofSeconds(1));
            assertThat(engine.state()).isEqualTo("DRAINING");
            assertThat(engine.route().routing()).isEqualTo(Routing.DRAIN);
            assertThat(engine.route().draining()).containsExactly(new Endpoint("10.0.0.1", 8080));
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1);

            engine.drained();
            assertThat(engine.state()).isEqualTo("ZERO");
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1, 0);
            assertThat(engine.route().routing()).isEqualTo(Routing.HOLD);
        }
    }

    @Test
    void drainTimeoutScalesToZeroWhenNobodyReportsDrained() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.finishRequest();
            engine.advance(Duration.ofMinutes(5));
            assertThat(engine.state()).isEqualTo("DRAINING");

            engine.advance(Duration.ofSeconds(30));

            assertThat(engine.state()).isEqualTo("ZERO");
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1, 0);
        }
    }

    @Test
    void requestDuringDrainingReturnsToActive() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.finishRequest();
            engine.advance(Duration.ofMinutes(5));
            assertThat(engine.state()).isEqualTo("DRAINING");

            engine.holdRequest();

            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(engine.route().routing()).isEqualTo(Routing.FORWARD);
            assertThat(engine.orchestrator.scaleCalls()).as("never scaled down").containsExactly(1);
            assertThat(engine.journal()).anySatisfy(entry -> assertThat(entry.message()).contains("drain cancelled"));
        }
    }

    @Test
    void wakeTimeoutFailsHeldRequestsAlertsAndReturnsToZero() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofMinutes(10))) {
            engine.holdRequest();
            engine.holdRequest();
            assertThat(engine.state()).isEqualTo("WAKING");

            engine.advance(Duration.ofMinutes(3));

            assertThat(engine.state()).isEqualTo("ZERO");
            assertThat(engine.failedHeld).containsExactly(
                    "504 target fake/Process/app did not become ready within 3m (wake-timeout); try again later");
            assertThat(engine.journal())
                    .anySatisfy(entry -> {
                        assertThat(entry.kind()).isEqualTo(JournalEntry.Kind.ALERT);
                        assertThat(entry.message()).contains("CRITICAL").contains("wake of").contains("failed");
                    });
            // The engine keeps the replica while the gateway still holds requests (never drop silently) ...
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1);
            // ... and scales to zero once they have been answered.
            engine.answerHeld();
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1, 0);
        }
    }

    @Test
    void restartWithReadyReplicasStartsActiveWithoutScaling() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 2)) {
            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(engine.route().endpoints()).hasSize(2);
            engine.advance(Duration.ofMinutes(1));
            assertThat(engine.orchestrator.scaleCalls()).as("no flapping, no duplicate wake").isEmpty();
        }
    }

    @Test
    void workloadStoppedBehindOurBackIsWokenAgainWhileRequestsAreHeld() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            assertThat(engine.state()).isEqualTo("ACTIVE");

            engine.orchestrator.stopBehindOurBack(engine.ref);
            engine.advance(Duration.ZERO);

            assertThat(engine.state()).isEqualTo("WAKING");
            assertThat(engine.route().routing()).isEqualTo(Routing.HOLD);
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1, 1);

            engine.advance(Duration.ofSeconds(5));
            assertThat(engine.state()).isEqualTo("ACTIVE");
        }
    }

    @Test
    void pausedAutomationLeavesAWorkloadStoppedBehindOurBackAloneUntilResumed() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.finishRequest();
            assertThat(engine.state()).isEqualTo("ACTIVE");
            engine.zeroscale.engine().setAutomationPaused("app", true, "test");
            engine.advance(Duration.ZERO);
            assertThat(engine.status().automationPaused()).isTrue();

            engine.orchestrator.stopBehindOurBack(engine.ref);
            // Many ticks pass (and the workload is observed at 0 on each): paused means hands off.
            engine.advance(Duration.ofMinutes(2));

            assertThat(engine.orchestrator.scaleCalls()).as("scale calls while paused").containsExactly(1);
            assertThat(engine.status().observedReplicas()).isZero();
            assertThat(engine.state()).as("the automaton heard nothing while paused").isEqualTo("ACTIVE");

            engine.zeroscale.engine().setAutomationPaused("app", false, "test");
            engine.advance(Duration.ZERO);

            assertThat(engine.orchestrator.scaleCalls()).as("scale calls after resume").containsExactly(1, 1);
            engine.advance(Duration.ofSeconds(5));
            assertThat(engine.status().readyReplicas()).isEqualTo(1);
            assertThat(engine.state()).isEqualTo("ACTIVE");
        }
    }
}
