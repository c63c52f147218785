package io.zeroscale.plugin.support;

import io.zeroscale.spi.Config;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How a signal's reduce option (Prometheus {@code range.reduce}, Tempo {@code reduce}) turns the
 * points of one series over the window into one value. Metric sources read it at validation
 * ({@link #read}) and apply it on each evaluation; the constants are immutable and safe from any
 * thread.
 */
public enum Reducer {
    LAST,
    AVG,
    MAX,
    MIN,
    SUM;

    /** The names accepted in config: {@code last}, {@code avg}, {@code max}, {@code min}, {@code sum}. */
    public static final Set<String> NAMES = names();

    /**
     * Reduces {@code points}, given in time order.
     *
     * @throws IllegalArgumentException when {@code points} is empty: no points must read as
     *     unknown, never as 0
     */
    public double apply(List<Double> points) {
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

    /** The name in config, e.g. {@code last}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads the optional string option {@code key} of {@code options}, or {@code defaultValue}
     * when it is absent.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} when the value names no
     *     reducer, with the closest valid name
     */
    public static Reducer read(Config options, String key, Reducer defaultValue) {
        if (!options.has(key)) {
            return defaultValue;
        }
        String text = options.requireString(key);
        for (Reducer reducer : values()) {
            if (reducer.configName().equals(text)) {
                return reducer;
            }
        }
        throw options.invalid(key, "'" + text + "' is not a reducer; " + Config.suggestion(text, NAMES, "use one of"));
    }

    private static Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        Arrays.stream(values()).forEach(value -> names.add(value.configName()));
        return Set.copyOf(names);
    }
}
