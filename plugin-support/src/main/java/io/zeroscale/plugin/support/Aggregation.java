package io.zeroscale.plugin.support;

import io.zeroscale.spi.Config;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How a signal's option {@code aggregation} combines the values of several series into one.
 * Metric sources read it at validation ({@link #read}) and apply it on each evaluation; the
 * constants are immutable and safe from any thread.
 */
public enum Aggregation {
    SUM,
    AVG,
    MAX,
    MIN;

    /** The names accepted in config: {@code sum}, {@code avg}, {@code max}, {@code min}. */
    public static final Set<String> NAMES = names();

    /**
     * Combines {@code values}. The result may be NaN or infinite if a value is: the caller checks
     * it before scaling on it.
     *
     * @throws IllegalArgumentException when {@code values} is empty: there is nothing to combine,
     *     which must read as unknown, never as 0
     */
    public double apply(List<Double> values) {
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

    /** The name in config, e.g. {@code avg}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads the required string option {@code key} of {@code options}.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} when the key is missing
     *     or names no aggregation, with the closest valid name
     */
    public static Aggregation read(Config options, String key) {
        String text = options.requireString(key);
        for (Aggregation aggregation : values()) {
            if (aggregation.configName().equals(text)) {
                return aggregation;
            }
        }
        throw options.invalid(key, "'" + text + "' is not an aggregation; " + Config.suggestion(text, NAMES, "use one of"));
    }

    private static Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        Arrays.stream(values()).forEach(value -> names.add(value.configName()));
        return Set.copyOf(names);
    }
}
