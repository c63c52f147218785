package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Settings of the {@code zero-to-n} automaton.
 *
 * @param idle how long without requests (and with activation signals at or below threshold)
 *     before draining to zero
 * @param wakeTimeout how long a wake may take before held requests are failed with 504
 * @param drainTimeout how long in-flight requests may take to finish before scaling to zero anyway
 * @param pauseAfter idle time after which replicas are paused instead of stopped, or null (no tier)
 * @param activation a signal that wakes the target and keeps it awake while above a threshold, or null
 */
record ZeroToNSettings(
        Duration idle, Duration wakeTimeout, Duration drainTimeout, @Nullable Duration pauseAfter, @Nullable Activation activation) {
    static final Set<String> KEYS = Set.of("idle", "wake-timeout", "drain-timeout", "pause-after", "activation", "target", "behavior");

    record Activation(String signal, double above) {}

    static ZeroToNSettings fromConfig(Config settings, Set<String> signals) {
        settings.requireOnlyKeys(KEYS);
        Duration idle = positive(settings, "idle", Duration.ofMinutes(5));
        Duration wakeTimeout = positive(settings, "wake-timeout", Duration.ofMinutes(3));
        Duration drainTimeout = settings.duration("drain-timeout", Duration.ofSeconds(30));
        Duration pauseAfter = settings.duration("pause-after").orElse(null);
        if (pauseAfter != null && pauseAfter.compareTo(idle) >= 0) {
            throw settings.invalid("pause-after", "must be shorter than idle (" + io.zeroscale.spi.Durations.format(idle)
                    + "), or the target goes to zero before it is ever paused");
        }
        Activation activation = null;
        Config node = settings.optionalChild("activation").orElse(null);
        if (node != null) {
            node.requireOnlyKeys(Set.of("signal", "above"));
            String signal = node.requireString("signal");
            if (!signals.contains(signal) && !Set.of("inflight", "held", "arrival-rate").contains(signal)) {
                throw node.invalid("signal", "no signal named '" + signal + "'; "
                        + Config.suggestion(signal, signals.isEmpty() ? Set.of("arrival-rate") : signals));
            }
            activation = new Activation(signal, node.doubleValue("above", 0));
        }
        return new ZeroToNSettings(idle, wakeTimeout, drainTimeout, pauseAfter, activation);
    }

    private static Duration positive(Config settings, String key, Duration defaultValue) {
        Duration value = settings.duration(key, defaultValue);
        if (value.isZero()) {
            throw settings.invalid(key, "must be longer than 0s");
        }
        return value;
    }
}
