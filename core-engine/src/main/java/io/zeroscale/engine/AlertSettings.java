package io.zeroscale.engine;

import io.zeroscale.spi.Config;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * When the engine raises alerts (the {@code alerts:} section without its {@code sinks}). Every
 * limit has a default, so an empty section is valid.
 *
 * @param wakeSlow a wake that takes longer than this raises {@code wake-slow}
 * @param signalUnknown a signal unknown for longer than this raises {@code signal-unknown}
 * @param flappingChanges more state changes than this within {@code flappingWindow} raise
 *     {@code flapping}
 * @param flappingWindow the window the state changes are counted in
 * @param overflowClearAfter {@code overflow} is resolved once no request was refused for this long
 * @param automatonClearAfter an automaton's own alert is resolved this long after it was raised
 *     (an automaton says when something is wrong, not when it is over)
 * @param maxPerMinute firing alerts sent per minute at most, over all targets; more are logged and
 *     journaled but not sent (nor is their resolution), so a storm does not flood a pager
 */
public record AlertSettings(
        Duration wakeSlow,
        Duration signalUnknown,
        int flappingChanges,
        Duration flappingWindow,
        Duration overflowClearAfter,
        Duration automatonClearAfter,
        int maxPerMinute) {
    /** The keys of {@code alerts:} this record reads; {@code sinks} is read by the builder. */
    public static final Set<String> KEYS =
            Set.of("wake-slow", "signal-unknown", "flapping", "overflow-clear-after", "automaton-clear-after", "max-per-minute", "sinks");

    public static final AlertSettings DEFAULT = new AlertSettings(Duration.ofMinutes(1), Duration.ofMinutes(5), 6,
            Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofMinutes(5), 60);

    public AlertSettings {
        positive(wakeSlow, "wakeSlow");
        positive(signalUnknown, "signalUnknown");
        positive(flappingWindow, "flappingWindow");
        positive(overflowClearAfter, "overflowClearAfter");
        positive(automatonClearAfter, "automatonClearAfter");
        if (flappingChanges < 1) {
            throw new IllegalArgumentException("flappingChanges must be at least 1");
        }
        if (maxPerMinute < 1) {
            throw new IllegalArgumentException("maxPerMinute must be at least 1");
        }
    }

    private static void positive(Duration value, String name) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    /**
     * Reads an {@code alerts:} node; absent keys keep the defaults.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    public static AlertSettings fromConfig(Config alerts) {
        alerts.requireOnlyKeys(KEYS);
        Config flapping = alerts.child("flapping").requireOnlyKeys(Set.of("changes", "within"));
        int changes = flapping.integer("changes", DEFAULT.flappingChanges);
        if (changes < 1) {
            throw flapping.invalid("changes", "must be at least 1, e.g. 6");
        }
        int maxPerMinute = alerts.integer("max-per-minute", DEFAULT.maxPerMinute);
        if (maxPerMinute < 1) {
            throw alerts.invalid("max-per-minute", "must be at least 1, e.g. 60");
        }
        return new AlertSettings(
                positive(alerts, "wake-slow", DEFAULT.wakeSlow),
                positive(alerts, "signal-unknown", DEFAULT.signalUnknown),
                changes,
                positive(flapping, "within", DEFAULT.flappingWindow),
                positive(alerts, "overflow-clear-after", DEFAULT.overflowClearAfter),
                positive(alerts, "automaton-clear-after", DEFAULT.automatonClearAfter),
                maxPerMinute);
    }

    /** The {@code alerts.sinks.<name>} nodes, each with its {@code type}, in file order. */
    public static Map<String, Config> sinks(Config alerts) {
        return new LinkedHashMap<>(alerts.child("sinks").children());
    }

    private static Duration positive(Config config, String key, Duration defaultValue) {
        Duration value = config.duration(key, defaultValue);
        if (value.isNegative() || value.isZero()) {
            throw config.invalid(key, "must be a positive duration, e.g. " + io.zeroscale.spi.Durations.format(defaultValue));
        }
        return value;
    }
}
