package io.zeroscale.plugin.prometheus;

import io.zeroscale.spi.Config;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** How a range query's option {@code range.reduce} turns one series' points into one value. */
enum Reducer {
    LAST,
    AVG,
    MAX,
    MIN,
    SUM;

    static final Set<String> NAMES = names();

    /** {@code points} in time order, at least one. */
    double apply(List<Double> points) {
        if (points.isEmpty()) {
            throw new IllegalArgumentException("no points to reduce");
        }
        return switch (this) {
            case LAST -> points.getLast();
            case AVG -> points.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            case MAX -> points.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            case MIN -> points.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            case SUM -> points.stream().mapToDouble(Double::doubleValue).sum();
        };
    }

    String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Reducer read(Config options, String key, Reducer defaultValue) {
        if (!options.has(key)) {
            return defaultValue;
        }
        String text = options.requireString(key);
        for (Reducer reducer : values()) {
            if (reducer.configName().equals(text)) {
                return reducer;
            }
        }
        throw options.invalid(key, "'" + text + "' is not a reducer; " + Config.suggestion(text, NAMES)
                .replace("valid keys are", "use one of"));
    }

    private static Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        Arrays.stream(values()).forEach(value -> names.add(value.configName()));
        return Set.copyOf(names);
    }
}
