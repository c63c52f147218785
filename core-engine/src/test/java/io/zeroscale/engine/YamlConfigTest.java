package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YamlConfigTest {
    private static final String TARGET = """
            workload: { kind: Process }
            policy:
              idle: 1h
              target: { signal: inflight, per-replica: 4 }
              behavior:
                scale-up: { policies: [ { type: Pods, value: 100 } ] }
            """;

    @Test
    void twoTargetsParsedApartShareTheirKeysAndStrings() {
        Config one = YamlConfig.parse(TARGET, "one", "targets.one");
        Config two = YamlConfig.parse(TARGET, "two", "targets.two");

        List<Object> first = strings(one.asMap());
        List<Object> second = strings(two.asMap());
        assertThat(first).hasSize(second.size()).contains("idle", "1h", "per-replica", "Pods");
        for (int i = 0; i < first.size(); i++) {
            assertThat(second.get(i)).as("string %s", first.get(i)).isSameAs(first.get(i));
        }
    }

    @Test
    void theTreeIsReadAsWritten() {
        Config parsed = YamlConfig.parse("""
                b: { x: 1, y: [ a, { z: 2.5 } ] }
                a: ~
                c: text
                """, "test", "root");

        assertThat(parsed.asMap().keySet()).containsExactly("b", "a", "c");
        assertThat(parsed.asMap().get("a")).isNull();
        assertThat(parsed.asMap()).containsEntry("c", "text")
                .containsEntry("b", Map.of("x", 1, "y", List.of("a", Map.of("z", 2.5))));
    }

    /** Every key and string value, depth first in config order. */
    private static List<Object> strings(Object node) {
        List<Object> out = new ArrayList<>();
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> {
                out.add(key);
                out.addAll(strings(value));
            });
        } else if (node instanceof List<?> list) {
            list.forEach(item -> out.addAll(strings(item)));
        } else if (node instanceof String) {
            out.add(node);
        }
        return out;
    }
}
