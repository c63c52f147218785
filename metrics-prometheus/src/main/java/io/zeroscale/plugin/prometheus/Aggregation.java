package io.zeroscale.plugin.prometheus;

import io.zeroscale.spi.Config;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** How a signal's option {@code aggregation} combines the values of several series into one. */
enum Aggregation {
    SUM,
    AVG,
    MAX,
    MIN;

    static final Set<String> NAMES = names();

    double apply(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values to aggregate");
        }
        return switch (this) {
            case SUM -> values.stream().mapToDouble(Double::doubleValue).sum();
            case AVG -> values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            case MAX -> values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            case MIN -> values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        };
    }

    String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Aggregation read(Config options, String key) {
        String text = options.requireString(key);
        for (Aggregation aggregation : values()) {
            if (aggregation.configName().equals(text)) {
                return aggregation;
            }
        }
        throw options.invalid(key, "'" + text + "' is not an aggregation; " + Config.suggestion(text, NAMES)
                .replace("valid keys are", "use one of"));
    }

    private static Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        Arrays.stream(values()).forEach(value -> names.add(value.configName()));
        return Set.copyOf(names);
    }
}
