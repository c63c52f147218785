package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Targets added, updated and removed while the engine runs, on virtual time. */
class TargetChangesTest {
    private static final String APP = EngineHarness.ZERO_TO_N_DRAIN_30S;

    private static TargetSpec spec(String name, String yaml) {
        return TargetSpec.fromConfig(name, YamlConfig.parse(yaml, "test", "targets." + name));
    }

    private static String withIdle(String idle) {
        return APP.replace("idle: 5m", "idle: " + idle);
    }

    @Test
    void aTargetAddedWhileRunningStartsAtOnceAndWakesOnAHeldRequest() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            TargetSpec web = spec("web", APP.replace("{ kind: Process }", "{ kind: Process, name: web }"));

            Engine.TargetChanges changes = engine.zeroscale.engine().change(List.of(web), List.of(), List.of(), "test");
            engine.time.runDue();

            assertThat(changes.added()).containsExactly("web");
            assertThat(engine.orchestrator.attaches()).containsExactly("app", "web");
            assertThat(engine.zeroscale.engine().status("web").orElseThrow().state()).isEqualTo("ZERO");

            engine.zeroscale.trafficHub().report("gateway-a", web.ref(), new RequestStats(1, 0, 1, 0, 0));
            engine.time.runDue();
            assertThat(engine.zeroscale.engine().status("web").orElseThrow().state()).isEqualTo("WAKING");
            assertThat(engine.orchestrator.calls()).contains("scale web 1");
            assertThat(engine.state()).as("the other target is untouched").isEqualTo("ZERO");
            assertThat(engine.zeroscale.journal().recent(web.ref(), 10)).anyMatch(entry -> entry.kind() == JournalEntry.Kind.CONFIG
                    && entry.message().equals("added (test)"));
        }
    }

    @Test
    void aRemovedTargetIsDetachedNeverScaledAndItsHeldRequestsAreAnsweredByTheGateway() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            assertThat(engine.state()).isEqualTo("ACTIVE");
            int callsBefore = engine.orchestrator.calls().size();

            engine.zeroscale.engine().removeTarget("app", "config reload");
            engine.time.runDue();

            assertThat(engine.orchestrator.calls().subList(callsBefore, engine.orchestrator.calls().size()))
                    .as("detached, and nothing scaled").containsExactly("detach app");
            assertThat(engine.orchestrator.state(engine.ref).replicas()).as("the workload keeps running").isEqualTo(1);
            assertThat(engine.removed).containsExactly("app: target 'app' was removed (config reload)");
            assertThat(engine.zeroscale.engine().status("app")).isEmpty();
            assertThat(engine.zeroscale.statuses()).isEmpty();

            // The gateway still reports the requests that finish; time passes far beyond idle: nothing happens.
            engine.finishRequest();
            engine.advance(Duration.ofMinutes(30));
            assertThat(engine.orchestrator.calls().subList(callsBefore, engine.orchestrator.calls().size())).containsExactly("detach app");
            assertThat(engine.routes).as("no route after the removal").isEmpty();
            assertThat(engine.journal()).anyMatch(entry -> entry.kind() == JournalEntry.Kind.CONFIG
                    && entry.message().startsWith("removed (config reload): the workload is left as it is"));
        }
    }

    @Test
    void aChangedPolicyRestartsTheAutomatonFromStartAndKeepsTheOperatorsOverrideAndTheHeldRequests() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.zeroscale.engine().setOverride("app", 2, null, "alice");
            engine.advance(Duration.ofSeconds(6));
            assertThat(engine.orchestrator.state(engine.ref).readyReplicas()).isEqualTo(2);

            Engine.TargetChanges changes = engine.zeroscale.engine().change(List.of(), List.of(spec("app", withIdle("1m"))), List.of(),
                    "config reload");
            engine.time.runDue();

            assertThat(changes.updated()).containsExactly("app");
            assertThat(engine.orchestrator.calls()).doesNotContain("detach app");
            assertThat(engine.removed).isEmpty();
            assertThat(engine.journal()).anyMatch(entry -> entry.kind() == JournalEntry.Kind.CONFIG
                    && entry.message().startsWith("policy changed (config reload): the automaton restarts from Start"));
            TargetStatus status = engine.status();
            assertThat(status.overrideReplicas()).isEqualTo(2);
            assertThat(status.state()).isEqualTo("ACTIVE");
            assertThat(status.requests().inFlight()).as("the gateway's counters carried over").isEqualTo(1);
            assertThat(engine.route().routing()).isEqualTo(Routing.FORWARD);

            // The new policy is in force: idle 1m (not 5m) after the last request ends, with the override cleared.
            engine.zeroscale.engine().setOverride("app", null, null, "alice");
            engine.finishRequest();
            engine.advance(Duration.ofMinutes(1).plusSeconds(1));
            assertThat(engine.state()).isEqualTo("DRAINING");
        }
    }

    @Test
    void theSameSpecAgainChangesNothing() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            Engine.TargetChanges changes = engine.zeroscale.engine().change(List.of(), List.of(spec("app", APP)), List.of(), "reload");
            assertThat(changes.isEmpty()).isTrue();
            assertThat(engine.journal()).noneMatch(entry -> entry.kind() == JournalEntry.Kind.CONFIG);
        }
    }

    @Test
    void aChangedWorkloadReferenceIsARemovalPlusAnAddition() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            TargetSpec moved = spec("app", APP.replace("{ kind: Process }", "{ kind: Process, name: app-v2 }"));

            engine.zeroscale.engine().updateTarget(moved);
            engine.time.runDue();

            assertThat(engine.orchestrator.calls()).contains("detach app");
            assertThat(engine.removed).containsExactly("app: target 'app' was removed (updated)");
            assertThat(engine.orchestrator.attaches()).containsExactly("app", "app-v2");
            assertThat(engine.status().ref()).isEqualTo(moved.ref());
            assertThat(engine.status().state()).isEqualTo("ZERO");
            assertThat(engine.routes).containsKey(moved.ref()).doesNotContainKey(engine.ref);
        }
    }

    @Test
    void anInvalidChangeChangesNothingAndNamesEveryProblem() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            TargetSpec good = spec("web", APP.replace("{ kind: Process }", "{ kind: Process, name: web }"));
            TargetSpec unknownOrchestrator = spec("api", APP.replace("orchestrator: fake", "orchestrator: fak")
                    .replace("{ kind: Process }", "{ kind: Process, name: api }"));
            TargetSpec badWorkload = spec("app", APP.replace("{ kind: Process }", "{ kind: Process, invalid: 'no such key' }"));

            assertThatThrownBy(() -> engine.zeroscale.engine().change(List.of(good, unknownOrchestrator), List.of(badWorkload),
                    List.of("nope"), "reload"))
                    .isInstanceOf(ZeroscaleException.class)
                    .hasMessageContaining("targets.nope: no target named 'nope' to remove")
                    .hasMessageContaining("targets.api.orchestrator: no orchestrator named 'fak'");

            // Only the checks that need no workload ran: nothing was attached, detached or added.
            assertThat(engine.orchestrator.attaches()).containsExactly("app");
            assertThat(engine.zeroscale.statuses()).extracting(TargetStatus::name).containsExactly("app");

            // A workload the orchestrator refuses is undone too, and the old one is attached again.
            assertThatThrownBy(() -> engine.zeroscale.engine().change(List.of(good), List.of(badWorkload), List.of(), "reload"))
                    .hasMessageContaining("targets.app.workload.invalid: no such key");
            assertThat(engine.orchestrator.calls()).contains("detach web", "detach app");
            assertThat(engine.orchestrator.attaches()).containsExactly("app", "web", "app");
            assertThat(engine.zeroscale.statuses()).extracting(TargetStatus::name).containsExactly("app");
            assertThat(engine.removed).isEmpty();
        }
    }

    @Test
    void aReferenceTwoTargetsWouldShareIsRefused() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            TargetSpec twin = spec("twin", APP.replace("{ kind: Process }", "{ kind: Process, name: app }"));
            assertThatThrownBy(() -> engine.zeroscale.engine().addTarget(twin))
                    .hasMessageContaining("targets.twin.workload: " + new TargetRef("fake", "Process", null, "app")
                            + " is already scaled by targets.app");
        }
    }
}
