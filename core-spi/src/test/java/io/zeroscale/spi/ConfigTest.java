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
