package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.engine.ActuationQueueTest.TestLeadership;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.LeadershipFactory;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Only the leader writes; a follower keeps deciding (its gateway needs routes) and may only wake a
 * target from zero, conditionally; a daemon that gains leadership starts over from what it observes.
 */
class LeadershipTest {
    private static final String TARGET = """
            orchestrator: fake
            workload: { kind: Process }
            policy: { idle: 1m, drain-timeout: 10s }
            """;

    /** Every call that changes the fake backend, in order. */
    private static List<String> writes(EngineHarness engine) {
        return engine.orchestrator.calls().stream().filter(call -> !call.startsWith("observe ")).toList();
    }

    @Test
    void aFollowerWakesOnlyConditionallyAndNeverScales() {
        TestLeadership leadership = new TestLeadership(false);
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 0, leadership)) {
            engine.holdRequest();
            engine.holdRequest();
            assertThat(writes(engine)).as("one conditional wake, however many requests").containsExactly("wakeIfZero app");

            engine.advance(Duration.ofSeconds(5));
            assertThat(engine.route().routing()).as("a follower still routes its own gateway").isEqualTo(Routing.FORWARD);
            engine.releaseHeld();
            engine.finishRequest();
            engine.finishRequest();
            engine.advance(Duration.ofMinutes(2));
            engine.drained();
            engine.advance(Duration.ofMinutes(2));

            assertThat(writes(engine)).as("no scale to zero, no scale at all").containsExactly("wakeIfZero app");
            assertThat(engine.orchestrator.state(engine.ref).replicas()).isEqualTo(1);
        }
    }

    @Test
    void aFollowerDoesNotRestoreAWorkloadStoppedBehindItsBack() {
        TestLeadership leadership = new TestLeadership(false);
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(1), 2, leadership)) {
            assertThat(engine.state()).isEqualTo("ACTIVE");
            engine.orchestrator.stopBehindOurBack(engine.ref); // e.g. the leader scaled it down
            engine.advance(Duration.ofMinutes(1));
            assertThat(writes(engine)).as("no request is held: nothing to wake").isEmpty();

            engine.holdRequest();
            engine.advance(Duration.ofSeconds(1));
            assertThat(writes(engine)).containsExactly("wakeIfZero app");
            assertThat(engine.orchestrator.state(engine.ref).replicas()).as("max(current, 1), not the 2 it knew").isEqualTo(1);
        }
    }

    @Test
    void gainingLeadershipRestartsFromStartWithAFreshObservation() {
        TestLeadership leadership = new TestLeadership(false);
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(1), 2, leadership)) {
            assertThat(engine.state()).isEqualTo("ACTIVE");
            engine.orchestrator.stopBehindOurBack(engine.ref); // the old leader scaled to zero
            engine.advance(Duration.ofSeconds(5));

            leadership.set(true);
            engine.advance(Duration.ofSeconds(1));

            assertThat(engine.state()).as("restarted from Start on what runs now").isEqualTo("ZERO");
            assertThat(writes(engine)).as("no stale applied count (2) written back").isEmpty();
            assertThat(engine.journal()).anySatisfy(entry -> {
                assertThat(entry.kind()).isEqualTo(JournalEntry.Kind.LEADERSHIP);
                assertThat(entry.message()).contains("became the leader");
            });

            engine.holdRequest();
            engine.advance(Duration.ofSeconds(1));
            assertThat(writes(engine)).as("the leader scales as usual").containsExactly("scale app 1");
            assertThat(engine.route().routing()).isEqualTo(Routing.FORWARD);
        }
    }

    @Test
    void losingLeadershipMidWakeStopsEveryWrite() {
        TestLeadership leadership = new TestLeadership(true);
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 0, leadership)) {
            engine.holdRequest();
            assertThat(writes(engine)).containsExactly("scale app 1");

            leadership.set(false);
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.finishRequest();
            engine.advance(Duration.ofMinutes(2));
            engine.drained();
            engine.advance(Duration.ofMinutes(2));
            assertThat(writes(engine)).as("the follower never scales to zero").containsExactly("scale app 1");
            assertThat(engine.journal()).anySatisfy(entry -> assertThat(entry.message()).contains("no longer the leader"));
        }
    }

    @Test
    void onlyTheLeaderSendsAlertsAndResizes() {
        String target = """
                orchestrator: fake
                workload: { kind: Process }
                policy:
                  automaton: custom
                  replicas: { min: 0, max: 6 }
                  signals:
                    rps: { source: prom, query: rps }
                  initial: idle
                  states:
                    idle: { replicas: "0" }
                    busy: { replicas: "2", profile: { name: big, cpus: 2 } }
                  transitions:
                    - { from: idle, to: busy, when: "signals.rps > 1.0", actions: [ { alert: "load arrived", severity: info } ] }
                """;
        TestLeadership leadership = new TestLeadership(false);
        try (EngineHarness engine = new EngineHarness(target, Duration.ofSeconds(1), 0, leadership)) {
            List<Engine.AlertEvent> alerts = new java.util.concurrent.CopyOnWriteArrayList<>();
            engine.zeroscale.engine().subscribeAlerts(alerts::add);
            engine.metrics.set("rps", 25);
            engine.advance(Duration.ofSeconds(2));

            assertThat(engine.state()).as("the follower's automaton decides").isEqualTo("busy");
            assertThat(alerts).as("alerts sent by a follower").isEmpty();
            assertThat(writes(engine)).as("no scale, pause or resize").isEmpty();
            assertThat(engine.journal()).anySatisfy(entry -> assertThat(entry.message()).contains("load arrived (not sent: not the leader)"));

            leadership.set(true);
            engine.advance(Duration.ofSeconds(2));
            assertThat(alerts).extracting(alert -> alert.alert().message()).containsExactly("load arrived");
            assertThat(writes(engine)).as("the new leader acts from Start").containsExactly("scale app 2");
        }
    }

    @Test
    void aPluginSuppliesLeadershipByTypeAndAnUnknownTypeIsNamed() {
        TestLeadership lease = new TestLeadership(false);
        Plugin plugin = new Plugin() {
            @Override
            public List<LeadershipFactory> leadershipFactories() {
                return List.of(new LeadershipFactory() {
                    @Override
                    public String type() {
                        return "test-lease";
                    }

                    @Override
                    public Leadership create(Config config, PluginContext context) {
                        config.requireOnlyKeys(java.util.Set.of("name"));
                        return lease;
                    }
                });
            }
        };
        VirtualScheduler time = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
        try (Zeroscale zeroscale = Zeroscale.builder().virtualTime(time).plugin(plugin)
                .leadership(Config.of("leadership", Map.of("type", "test-lease", "name", "zeroscale"))).build()) {
            assertThat(zeroscale.engine().leadership()).isSameAs(lease);
        }
        try (Zeroscale zeroscale = Zeroscale.builder().virtualTime(time).build()) {
            assertThat(zeroscale.engine().leadership().isLeader()).as("one process: always the leader").isTrue();
        }
        assertThatThrownBy(() -> Zeroscale.builder().virtualTime(time).plugin(plugin)
                .leadership(Config.of("leadership", Map.of("type", "test-leas"))).build())
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("leadership.type")
                .hasMessageContaining("test-lease");
    }
}
