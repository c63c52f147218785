package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A user-defined CEL automaton runs in the engine, under the same safety rules. */
class CustomPolicyEngineTest {
    private static final String TARGET = """
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
                busy: { replicas: "int(math.ceil(signals.rps / 10.0))" }
              transitions:
                - { from: idle, to: busy, when: "signals.rps > 1.0 || requests.held > 0" }
                - { from: busy, to: idle, when: "signals.rps < 0.5", for: 2m }
            """;

    @Test
    void guardsWithForDurationsDriveTheWorkload() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5))) {
            engine.metrics.set("rps", 25);
            engine.advance(Duration.ofSeconds(1));
            assertThat(engine.state()).isEqualTo("busy");
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(3);

            engine.metrics.set("rps", 0.1);
            engine.advance(Duration.ofSeconds(119));
            assertThat(engine.state()).as("guard held for less than 2m").isEqualTo("busy");
            engine.advance(Duration.ofSeconds(3));
            assertThat(engine.state()).isEqualTo("idle");
            assertThat(engine.orchestrator.scaleCalls()).containsExactly(3, 1, 0);
        }
    }

    @Test
    void aTypoInAGuardIsRejectedAtLoadWithItsPosition() {
        assertThatThrownBy(() -> new EngineHarness(TARGET.replace("signals.rps < 0.5", "signals.rsp < 0.5"), Duration.ofSeconds(1)))
                .hasMessageContaining("targets.app.policy.transitions[1].when: unknown signal 'rsp' at 1:8")
                .hasMessageContaining("did you mean 'rps'?");
    }
}
