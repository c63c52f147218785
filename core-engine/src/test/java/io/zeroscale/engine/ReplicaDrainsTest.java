package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Desired vs existing replicas, drains of chosen replicas on N to M &gt; 0, and removals the
 * backend announces, through the whole engine on virtual time with the fake orchestrator.
 */
class ReplicaDrainsTest {
    private static final String TARGET = EngineHarness.ZERO_TO_N_DRAIN_30S;
    private static final Endpoint E1 = new Endpoint("10.0.0.1", 8080);
    private static final Endpoint E2 = new Endpoint("10.0.0.2", 8080);
    private static final Endpoint E3 = new Endpoint("10.0.0.3", 8080);

    @Test
    void statusChangesDuringASurgeCauseNoExtraWrite() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 1)) {
            engine.startRequest();
            engine.orchestrator.setControllerLag(true);
            engine.zeroscale.engine().setOverride("app", 3, null, "test");
            engine.time.runDue();
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(3);
            assertThat(engine.status().backendDesiredReplicas()).isEqualTo(3);
            assertThat(engine.status().observedReplicas()).as("the controller has not caught up").isEqualTo(1);

            // The backend's controller catches up step by step, and ticks pass in between.
            engine.orchestrator.reportStatus(engine.ref, 2, 1);
            engine.advance(Duration.ofSeconds(30));
            engine.orchestrator.reportStatus(engine.ref, 3, 1);
            engine.advance(Duration.ofSeconds(30));
            engine.orchestrator.reportStatus(engine.ref, 3, 2);
            engine.advance(Duration.ofSeconds(30));
            engine.orchestrator.reportStatus(engine.ref, 3, 3);
            engine.advance(Duration.ofSeconds(30));

            assertThat(engine.orchestrator.scaleCalls()).as("status-only changes are not drift").containsExactly(3);
            assertThat(engine.status().readyReplicas()).isEqualTo(3);
            assertThat(engine.route().endpoints()).containsExactly(E1, E2, E3);
        }
    }

    @Test
    void aChangedDesiredCountIsDriftAndIsCorrected() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 1)) {
            engine.startRequest();
            engine.zeroscale.engine().setOverride("app", 2, null, "test");
            engine.time.runDue();
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(2);

            engine.orchestrator.stopBehindOurBack(engine.ref);
            engine.advance(Duration.ofSeconds(30));

            assertThat(engine.orchestrator.scaleCalls()).containsExactly(2, 2);
        }
    }

    @Test
    void scaleDownToMoreThanZeroDrainsTheNewestReplicasThenRemovesExactlyThose() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 3)) {
            engine.startRequest();
            engine.zeroscale.engine().setOverride("app", 1, null, "test");
            engine.time.runDue();

            assertThat(engine.route().routing()).isEqualTo(Routing.FORWARD);
            assertThat(engine.route().endpoints()).as("the oldest keeps serving").containsExactly(E1);
            assertThat(engine.route().draining()).as("the newest are drained").containsExactly(E2, E3);
            assertThat(engine.orchestrator.scaleCalls()).as("nothing removed before the drain ended").isEmpty();
            assertThat(engine.orchestrator.removeCalls()).isEmpty();

            engine.advance(Duration.ofSeconds(10));
            assertThat(engine.orchestrator.removeCalls()).as("the gateway has not reported them drained").isEmpty();

            engine.drained();

            assertThat(engine.orchestrator.removeCalls()).containsExactly(List.of(E2, E3));
            assertThat(engine.orchestrator.scaleCalls()).as("scale(1) after the removal, a no-op for the backend").containsExactly(1);
            assertThat(engine.orchestrator.state(engine.ref).readyEndpoints()).containsExactly(E1);
            assertThat(engine.route().endpoints()).containsExactly(E1);
            assertThat(engine.route().draining()).isEmpty();

            engine.advance(Duration.ofMinutes(2));
            assertThat(engine.orchestrator.removeCalls()).hasSize(1);
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1);
            assertThat(engine.journal()).anyMatch(entry -> entry.message().contains("draining [10.0.0.2:8080, 10.0.0.3:8080]"));
        }
    }

    @Test
    void drainsReportedInGroupsRemoveOnlyOnceAllDrained() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 3)) {
            engine.startRequest();
            engine.zeroscale.engine().setOverride("app", 1, null, "test");
            engine.time.runDue();

            engine.zeroscale.trafficHub().drained(EngineHarness.GATEWAY, engine.ref, List.of(E3));
            engine.time.runDue();
            assertThat(engine.orchestrator.removeCalls()).isEmpty();

            engine.zeroscale.trafficHub().drained(EngineHarness.GATEWAY, engine.ref, List.of(E2));
            engine.time.runDue();
            assertThat(engine.orchestrator.removeCalls()).containsExactly(List.of(E2, E3));
        }
    }

    @Test
    void aLateReportOfACancelledDrainDoesNotEndANewerDrainOfTheSameReplica() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 3)) {
            engine.startRequest();
            engine.zeroscale.engine().setOverride("app", 2, null, "test");
            engine.time.runDue();
            Route first = engine.route();
            assertThat(first.draining()).containsExactly(E3);

            // Cancelled (3 again), then 3 -> 1 drains E3 again, with E2, under a newer drain.
            engine.zeroscale.engine().setOverride("app", 3, null, "test");
            engine.time.runDue();
            assertThat(engine.route().draining()).isEmpty();
            engine.zeroscale.engine().setOverride("app", 1, null, "test");
            engine.time.runDue();
            Route second = engine.route();
            assertThat(second.draining()).containsExactly(E2, E3);
            assertThat(second.drain()).isGreaterThan(first.drain());

            // The gateway's report of the first, cancelled drain arrives only now.
            engine.zeroscale.trafficHub().drained(EngineHarness.GATEWAY, engine.ref, first.drain(), List.of(E3));
            engine.zeroscale.trafficHub().drained(EngineHarness.GATEWAY, engine.ref, second.drain(), List.of(E2));
            engine.time.runDue();
            assertThat(engine.orchestrator.removeCalls()).as("E3's late report counts for nothing").isEmpty();

            engine.zeroscale.trafficHub().drained(EngineHarness.GATEWAY, engine.ref, second.drain(), List.of(E3));
            engine.time.runDue();
            assertThat(engine.orchestrator.removeCalls()).containsExactly(List.of(E2, E3));
        }
    }

    @Test
    void aNewerDecisionForMoreReplicasGivesTheChosenOnesBack() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 3)) {
            engine.startRequest();
            engine.zeroscale.engine().setOverride("app", 1, null, "test");
            engine.time.runDue();
            assertThat(engine.route().draining()).containsExactly(E2, E3);

            engine.zeroscale.engine().setOverride("app", 3, null, "test");
            engine.time.runDue();

            assertThat(engine.route().endpoints()).containsExactly(E1, E2, E3);
            assertThat(engine.route().draining()).isEmpty();
            engine.drained();
            engine.advance(Duration.ofMinutes(1));
            assertThat(engine.orchestrator.removeCalls()).isEmpty();
            assertThat(engine.orchestrator.scaleCalls()).as("the backend already runs 3").isEmpty();
        }
    }

    @Test
    void announcedRemovalIsDrainedFirstThenReleased() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 3)) {
            engine.startRequest();
            engine.orchestrator.announceRemoval(engine.ref, List.of(E2), "node drained");
            engine.time.runDue();

            assertThat(engine.route().endpoints()).containsExactly(E1, E3);
            assertThat(engine.route().draining()).containsExactly(E2);
            assertThat(engine.orchestrator.removeCalls()).isEmpty();

            engine.drained();

            assertThat(engine.orchestrator.removeCalls()).containsExactly(List.of(E2));
            assertThat(engine.route().endpoints()).containsExactly(E1, E3);
            assertThat(engine.journal()).anyMatch(entry -> entry.message().contains("node drained"));
        }
    }

    @Test
    void theJournalSaysWhichTierAStartedReplicaCameFrom() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 1)) {
            engine.orchestrator.announceStart(engine.ref, "zs-app-1a2b3c", "stopped");
            engine.time.runDue();

            assertThat(engine.journal()).anyMatch(entry -> entry.kind() == JournalEntry.Kind.DECISION
                    && entry.message().equals("replica zs-app-1a2b3c started from tier 'stopped'"));
        }
    }
}
