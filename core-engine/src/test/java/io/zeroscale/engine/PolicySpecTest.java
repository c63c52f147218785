package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.ZeroscaleException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad policies are rejected with the path and the fix. */
class PolicySpecTest {
    private static TargetSpec parse(String policy) {
        return TargetSpec.fromConfig("web", YamlConfig.parse("""
                orchestrator: local
                workload: { kind: Process }
                policy:
                """ + policy.indent(2), "test", "targets.web"));
    }

    @Test
    void startFailuresDefaultToOneSecondDoublingToFiveMinutesGivingUpAfterTwo() {
        StartFailureSettings defaults = parse("idle: 5m").policy().startFailures();
        assertThat(defaults).isEqualTo(new StartFailureSettings(java.time.Duration.ofSeconds(1), java.time.Duration.ofMinutes(5), 2));
        assertThat(List.of(1, 2, 3, 9, 10, 40).stream().map(defaults::delayAfter).map(io.zeroscale.spi.Durations::format).toList())
                .containsExactly("1s", "2s", "4s", "4m16s", "5m", "5m");
        assertThat(parse("start-failures: { backoff: 500ms, give-up-after: 5 }").policy().startFailures())
                .isEqualTo(new StartFailureSettings(java.time.Duration.ofMillis(500), java.time.Duration.ofMinutes(5), 5));
    }

    @Test
    void badStartFailures() {
        assertThatThrownBy(() -> parse("start-failures: { backoff: 0s }"))
                .hasMessageStartingWith("targets.web.policy.start-failures.backoff: must be longer than 0s");
        assertThatThrownBy(() -> parse("start-failures: { backoff: 10s, max-backoff: 5s }"))
                .hasMessage("targets.web.policy.start-failures.max-backoff: must not be shorter than backoff (10s)");
        assertThatThrownBy(() -> parse("start-failures: { give-up-after: 0 }"))
                .hasMessage("targets.web.policy.start-failures.give-up-after: must be at least 1, got 0");
        assertThatThrownBy(() -> parse("start-failures: { give-up-afterr: 3 }"))
                .hasMessageStartingWith("targets.web.policy.start-failures.give-up-afterr: unknown key; did you mean 'give-up-after'?");
    }

    @Test
    void badStartFailuresAreReportedWithTheFilesOtherProblems() {
        assertThatThrownBy(() -> parse("""
                replicas: { min: -1 }
                tick: 0s
                start-failures: { give-up-afterr: 3, backoff: 0s, give-up-after: 0 }
                """))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.problems()).containsExactly(
                        "targets.web.policy.replicas.min: must not be negative, got -1",
                        "targets.web.policy.start-failures.backoff: must be longer than 0s, e.g. 1s: restarting a failing"
                                + " replica at once is a crash loop",
                        "targets.web.policy.start-failures.give-up-after: must be at least 1, got 0",
                        "targets.web.policy.start-failures.give-up-afterr: unknown key; did you mean 'give-up-after'?",
                        "targets.web.policy.tick: must be longer than 0s, e.g. 1s"));
    }

    @Test
    void minGreaterThanMax() {
        assertThatThrownBy(() -> parse("replicas: { min: 3, max: 2 }"))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessage("targets.web.policy.replicas: min (3) is greater than max (2); lower min or raise max");
    }

    @Test
    void negativeMin() {
        assertThatThrownBy(() -> parse("replicas: { min: -1, max: 2 }"))
                .hasMessage("targets.web.policy.replicas.min: must not be negative, got -1");
    }

    @Test
    void malformedDuration() {
        assertThatThrownBy(() -> parse("tick: 5 minutes"))
                .hasMessage("targets.web.policy.tick: '5 minutes' is not a duration; write a whole number followed by a unit"
                        + " (ms, s, m, h, d), e.g. 250ms, 30s, 5m, 1h30m");
    }

    @Test
    void negativeDuration() {
        assertThatThrownBy(() -> parse("tick: -5s"))
                .hasMessageStartingWith("targets.web.policy.tick: '-5s' is not a duration");
    }

    @Test
    void typoInReplicasKey() {
        assertThatThrownBy(() -> parse("replicas: { mni: 1 }"))
                .hasMessage("targets.web.policy.replicas.mni: unknown key; did you mean 'min'?");
    }

    @Test
    void signalWithoutQuery() {
        assertThatThrownBy(() -> parse("signals: { rps: { source: prom } }"))
                .hasMessage("targets.web.policy.signals.rps.query: required key is missing; add a string");
    }

    @Test
    void reservedSignalName() {
        assertThatThrownBy(() -> parse("signals: { inflight: { source: prom, query: up } }"))
                .hasMessageContaining("targets.web.policy.signals.inflight: 'inflight' is a reserved signal");
    }

    @Test
    void engineKeysAreSeparatedFromAutomatonSettings() {
        TargetSpec spec = parse("""
                automaton: zero-to-n
                idle: 5m
                replicas: { min: 0, max: 8 }
                signals: { rps: { source: prom, query: up, empty-as-zero: true } }
                """);
        assertThat(spec.policy().bounds().max()).isEqualTo(8);
        assertThat(spec.policy().settings().keys()).containsExactly("idle");
        assertThat(spec.policy().signals().get("rps").query().options().bool("empty-as-zero", false)).isTrue();
        assertThat(spec.workload().keys()).isEmpty();
        assertThat(spec.ref().name()).isEqualTo("web");
    }

    @Test
    void zeroToNRejectsUnknownKeysWithSuggestion() {
        assertThatThrownBy(() -> new EngineHarness("""
                orchestrator: fake
                workload: { kind: Process }
                policy: { idel: 5m }
                """, java.time.Duration.ofSeconds(1)))
                .hasMessage("targets.app.policy.idel: unknown key; did you mean 'idle'?");
    }
}
