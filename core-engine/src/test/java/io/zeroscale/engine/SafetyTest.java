package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The engine's safety rules hold whatever the automaton decides. */
class SafetyTest {
    private static final String WITH_SIGNAL = """
            orchestrator: fake
            workload: { kind: Process }
            policy:
              idle: 5m
              replicas: { min: 0, max: 4 }
              signals:
                rps: { source: prom, query: 'sum(rate(http_requests_total[1m]))' }
            """;

    @Test
    void neverScalesToZeroWhileAMetricSourceFails() {
        try (EngineHarness engine = new EngineHarness(WITH_SIGNAL, Duration.ofSeconds(5))) {
            engine.metrics.set("sum(rate(http_requests_total[1m]))", 0.0);
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.finishRequest();

            engine.metrics.setFailing(true);
            engine.advance(Duration.ofMinutes(5));
            engine.drained();
            engine.advance(Duration.ofMinutes(30));

            assertThat(engine.orchestrator.scaleCalls()).as("no scale to zero on unknown data").containsExactly(1);
            assertThat(engine.status().desiredReplicas()).isEqualTo(1);
            assertThat(engine.route().routing()).as("traffic still flows to the kept replica").isEqualTo(Routing.FORWARD);
            assertThat(engine.journal()).anySatisfy(entry -> {
                assertThat(entry.kind()).isEqualTo(JournalEntry.Kind.SAFETY);
                assertThat(entry.message()).contains("kept 1 replicas instead of 0").contains("signal 'rps' is unknown");
            });

            // Once the source answers again, the policy's decision goes through.
            engine.metrics.setFailing(false);
            engine.advance(Duration.ofSeconds(2));
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(1, 0);
        }
    }

    @Test
    void neverScalesToZeroWhileTheOrchestratorCannotBeObserved() {
        String target = """
                orchestrator: fake
                workload: { kind: Process }
                policy: { idle: 1m, drain-timeout: 10s }
                """;
        try (EngineHarness engine = new EngineHarness(target, Duration.ofSeconds(1), 1)) {
            assertThat(engine.state()).isEqualTo("ACTIVE");
            engine.orchestrator.setFailing(true);
            // Poll-based staleness: the fake pushes, so force an observation through a refused endpoint.
            engine.zeroscale.trafficHub().endpointRefused(EngineHarness.GATEWAY, engine.ref, engine.route().endpoints().getFirst(), "connection refused");
            engine.advance(Duration.ofMinutes(10));

            assertThat(engine.status().observationStale()).isTrue();
            assertThat(engine.status().desiredReplicas()).isEqualTo(1);
            assertThat(engine.orchestrator.scaleCalls()).doesNotContain(0);
        }
    }

    @Test
    void decisionsStayWithinBounds() {
        String target = """
                orchestrator: fake
                workload: { kind: Process }
                policy:
                  replicas: { min: 2, max: 3 }
                """;
        try (EngineHarness engine = new EngineHarness(target, Duration.ofSeconds(1))) {
            engine.advance(Duration.ofSeconds(1));
            assertThat(engine.orchestrator.scaleCalls()).as("min 2 is applied even at ZERO").containsExactly(2);
            engine.advance(Duration.ofMinutes(30));
            assertThat(engine.orchestrator.scaleCalls()).doesNotContain(0, 1);
        }
    }
}
