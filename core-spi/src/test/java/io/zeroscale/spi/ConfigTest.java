package io.zeroscale.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigTest {
    private final Config config = Config.of("orchestrators.local", Map.of(
            "type", "process",
            "grace", "1m30s",
            "count", 3,
            "command", List.of("python3", "-m", "http.server"),
            "nested", Map.of("a", "b")));

    @Test
    void unknownKeySuggestsTheClosestOne() {
        assertThatThrownBy(() -> Config.of("orchestrators.k8s", Map.of("tyep", "kubernetes")).requireOnlyKeys(Set.of("type", "kubeconfig")))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessage("orchestrators.k8s.tyep: unknown key; did you mean 'type'?");
    }

    @Test
    void unknownKeyFarFromEverythingListsTheValidKeys() {
        assertThatThrownBy(() -> Config.of("x", Map.of("zzzzzzzz", 1)).requireOnlyKeys(Set.of("type", "url")))
                .hasMessage("x.zzzzzzzz: unknown key; valid keys are [type, url]");
    }

    @Test
    void everyUnknownKeyIsNamedAtOnce() {
        Map<String, Object> values = new java.util.LinkedHashMap<>();
        values.put("tyep", "kubernetes");
        values.put("url", "http://x");
        values.put("kubeconfg", "~/.kube/config");
        assertThatThrownBy(() -> Config.of("orchestrators.k8s", values).requireOnlyKeys(Set.of("type", "kubeconfig")))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.problems()).containsExactly(
                        "orchestrators.k8s.tyep: unknown key; did you mean 'type'?",
                        "orchestrators.k8s.url: unknown key; valid keys are [kubeconfig, type]",
                        "orchestrators.k8s.kubeconfg: unknown key; did you mean 'kubeconfig'?"));
    }

    @Test
    void aSuggestionListsTheChoicesInTheCallersWords() {
        assertThat(Config.suggestion("round-robn", Set.of("round-robin", "least-requests"), "use one of"))
                .isEqualTo("did you mean 'round-robin'?");
        assertThat(Config.suggestion("random", Set.of("round-robin", "least-requests"), "use one of"))
                .isEqualTo("use one of [least-requests, round-robin]");
        assertThat(Config.didYouMean("random", Set.of("round-robin"))).isEmpty();
    }

    @Test
    void problemsAreCollectedSortedByPathAndConsequencesDropped() {
        ConfigProblems problems = new ConfigProblems();
        assertThat(problems.check(() -> {
            throw new ZeroscaleException(StandardErrorCode.NOT_FOUND, "targets.b.orchestrator: no orchestrator named 'x'");
        })).isFalse();
        assertThat(problems.attempt(() -> config.requireInteger("type"))).isEmpty();
        assertThat(problems.attempt(() -> config.requireString("type"))).contains("process");
        // Already reported at orchestrators.local.type: a consequence, not a second problem.
        problems.add(new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "orchestrators.local.type.x: something"));
        assertThat(problems.list()).hasSize(2);
        assertThatThrownBy(problems::throwIfAny)
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.problems()).containsExactly("orchestrators.local.type: expected a whole number, got 'process'",
                            "targets.b.orchestrator: no orchestrator named 'x'");
                    assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID);
                });
    }

    @Test
    void oneProblemIsRethrownAsItWas() {
        ConfigProblems problems = new ConfigProblems();
        problems.throwIfAny();
        ZeroscaleException only = new ZeroscaleException(StandardErrorCode.NOT_FOUND, "a.b: missing");
        problems.add(only);
        assertThatThrownBy(problems::throwIfAny).isSameAs(only);
    }

    @Test
    void readsTypedValues() {
        assertThat(config.requireString("type")).isEqualTo("process");
        assertThat(config.requireDuration("grace")).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.requireInteger("count")).isEqualTo(3);
        assertThat(config.stringList("command")).containsExactly("python3", "-m", "http.server");
        assertThat(config.child("nested").path()).isEqualTo("orchestrators.local.nested");
    }

    @Test
    void wrongTypesNameThePathAndWhatWasFound() {
        assertThatThrownBy(() -> config.requireInteger("type"))
                .hasMessage("orchestrators.local.type: expected a whole number, got 'process'");
        assertThatThrownBy(() -> config.requireChild("type"))
                .hasMessage("orchestrators.local.type: expected a mapping of keys to values, got 'process'");
        assertThatThrownBy(() -> config.requireString("nested"))
                .hasMessage("orchestrators.local.nested: expected a string, got a mapping");
        assertThatThrownBy(() -> config.requireString("url"))
                .hasMessage("orchestrators.local.url: required key is missing; add a string");
    }

    @Test
    void durationsRoundTrip() {
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThatThrownBy(() -> Durations.parse("-5s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Durations.parse("5")).hasMessageContaining("'5' is not a duration");
    }
}
