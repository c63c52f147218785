package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A target with nothing time-dependent pending skips its ticks (issue 19: 100,000 targets), and
 * what depends on time still happens on time: idle scales to zero, a stabilization window that
 * holds a scale-down back lets it go when it passes. Virtual time.
 */
class QuietTicksTest {
    private static final String IDLE = """
            orchestrator: fake
            workload: { kind: Process }
            policy:
              automaton: zero-to-n
              tick: 1s
              idle: 5m
              drain-timeout: 30s
              replicas: { min: 0, max: 4 }
            """;

    private static final String TRACKING = """
            orchestrator: fake
            workload: { kind: Process }
            policy:
              automaton: zero-to-n
              tick: 1s
              idle: 1h
              replicas: { min: 0, max: 4 }
              target: { signal: inflight, per-replica: 4 }
              behavior:
                scale-down: { stabilization-window: 1m }
            """;

    @Test
    void aQuietTargetSkipsItsTicksAndIdleStillScalesItToZeroOnTime() {
        try (EngineHarness engine = new EngineHarness(IDLE, Duration.ofSeconds(5))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.finishRequest();
            assertThat(engine.state()).isEqualTo("ACTIVE");
            AtomicInteger ticks = new AtomicInteger();
            Subscription subscription = engine.zeroscale.engine().subscribeDecisions((target, event, decision) -> {
                if (event instanceof Event.Tick) {
                    ticks.incrementAndGet();
                }
            });
            try {
                engine.advance(Duration.ofMinutes(5).minusSeconds(1));
                assertThat(engine.state()).isEqualTo("ACTIVE");
                assertThat(ticks).as("the idle timer is set and nothing else is pending: no tick reaches the automaton")
                        .hasValue(0);

                engine.advance(Duration.ofSeconds(1));
                assertThat(engine.state()).as("idle 5m after the last request finished").isEqualTo("DRAINING");
                engine.advance(Duration.ofSeconds(30));
                assertThat(engine.state()).isEqualTo("ZERO");
                assertThat(engine.orchestrator.scaleCalls()).containsExactly(1, 0);
            } finally {
                subscription.close();
            }
        }
    }

    @Test
    void aScaleDownHeldByTheStabilizationWindowTicksUntilTheWindowLetsItGo() {
        try (EngineHarness engine = new EngineHarness(TRACKING, Duration.ofSeconds(1), 1)) {
            for (int i = 0; i < 8; i++) {
                engine.startRequest();
            }
            engine.advance(Duration.ofSeconds(2));
            assertThat(engine.status().desiredReplicas()).as("8 in flight, 4 per replica").isEqualTo(2);

            for (int i = 0; i < 4; i++) {
                engine.finishRequest();
            }
            engine.advance(Duration.ofSeconds(30));
            assertThat(engine.status().desiredReplicas()).as("held by the 1m scale-down window").isEqualTo(2);

            // No report comes: only ticks see the window pass.
            engine.advance(Duration.ofSeconds(31));
            assertThat(engine.status().desiredReplicas()).as("the window passed without a new event").isEqualTo(1);
            // The fake orchestrator is Drainable: 2 -> 1 drains the chosen replica before removing it.
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(2);
            assertThat(engine.route().draining()).as("the replica going away is drained first").hasSize(1);
        }
    }

    @Test
    void trackingThatWantsFewerReplicasThanTheFloorOfOneSkipsItsTicks() {
        // Zero-to-n keeps at least one replica while up (zero is the idle timer's call): a load
        // that asks the tracker for fewer (here none in flight) is answered by the floor, and no
        // tick could change that answer.
        try (EngineHarness engine = new EngineHarness(TRACKING, Duration.ofSeconds(1), 1)) {
            engine.startRequest();
            engine.advance(Duration.ofSeconds(2));
            engine.finishRequest();
            engine.advance(Duration.ofSeconds(2));
            assertThat(engine.state()).isEqualTo("ACTIVE");
            AtomicInteger ticks = new AtomicInteger();
            Subscription subscription = engine.zeroscale.engine().subscribeDecisions((target, event, decision) -> {
                if (event instanceof Event.Tick) {
                    ticks.incrementAndGet();
                }
            });
            try {
                engine.advance(Duration.ofMinutes(2));
                assertThat(engine.status().desiredReplicas()).isEqualTo(1);
                assertThat(ticks).as("0 in flight asks for 0 replicas, the floor keeps 1: no tick reaches the automaton")
                        .hasValue(0);
            } finally {
                subscription.close();
            }
        }
    }

    @Test
    void quietTargetsWhoseGatewayKeepsReportingKeepNoTimerOfTheirOwn() {
        // Ten quiet targets, one gateway (the harness heartbeats it every 5 s): the reporter TTL is
        // watched once for the gateway, not once per target (issue 19: 100,000 targets).
        List<TargetRef> refs = new ArrayList<>();
        try (EngineHarness engine = new EngineHarness(Instant.parse("2026-01-01T00:00:00Z"), TRACKING, Duration.ofSeconds(1), 1,
                io.zeroscale.spi.Leadership.always(), builder -> {
                    for (int i = 0; i < 9; i++) {
                        TargetSpec spec = TargetSpec.fromConfig("quiet" + i, YamlConfig.parse(TRACKING, "test", "targets.quiet" + i));
                        refs.add(spec.ref());
                        builder.target(spec);
                    }
                    return builder;
                })) {
            refs.add(engine.ref);
            refs.forEach(ref -> engine.orchestrator.preset(ref, 1));
            engine.advance(Duration.ofMinutes(1));
            int before = engine.time.pending();

            for (TargetRef ref : refs) {
                engine.zeroscale.trafficHub().report(EngineHarness.GATEWAY, ref, new RequestStats(0, 1, 1, 0, 0));
            }
            engine.advance(Duration.ofMinutes(1));
            assertThat(refs).allSatisfy(ref -> assertThat(engine.zeroscale.engine().status(ref.name()).orElseThrow().requests().inFlight())
                    .isEqualTo(1));
            assertThat(engine.time.pending()).as("no timer per target for the gateway's TTL").isEqualTo(before);

            // The gateway goes silent (last heard at most 5 s ago): every target finds out within the TTL all the same.
            engine.silence(EngineHarness.GATEWAY);
            engine.advance(Duration.ofSeconds(16));
            assertThat(refs).allSatisfy(ref -> assertThat(engine.zeroscale.journal().recent(ref, 1000)).anySatisfy(entry ->
                    assertThat(entry.message()).contains("gateway gw not heard from for longer than traffic.reporter-ttl 15s")));
        }
    }
}
