package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.automaton.ReservedSignals;
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
 * @param adaptive the adaptive keep-alive and pre-wake ({@link HybridHistogram}), or null for the fixed idle time
 */
record ZeroToNSettings(
        Duration idle, Duration wakeTimeout, Duration drainTimeout, @Nullable Duration pauseAfter, @Nullable Activation activation,
        @Nullable HybridHistogram adaptive) {
    static final Set<String> KEYS = Set.of("idle", "wake-timeout", "drain-timeout", "pause-after", "activation", "target", "behavior",
            "adaptive");

    ZeroToNSettings(Duration idle, Duration wakeTimeout, Duration drainTimeout, @Nullable Duration pauseAfter,
            @Nullable Activation activation) {
        this(idle, wakeTimeout, drainTimeout, pauseAfter, activation, null);
    }

    record Activation(String signal, double above) {}

    /** Reads the settings, reporting every problem of them at once. */
    static ZeroToNSettings fromConfig(Config settings, Set<String> signals) {
        return fromConfig(settings, signals, false);
    }

    /**
     * Reads the settings; {@code adaptiveByDefault} (the {@code adaptive} automaton) turns the
     * adaptive keep-alive on unless {@code adaptive: false}.
     */
    static ZeroToNSettings fromConfig(Config settings, Set<String> signals, boolean adaptiveByDefault) {
        ConfigProblems problems = new ConfigProblems();
        problems.attempt(() -> settings.requireOnlyKeys(KEYS));
        Duration parsedIdle = problems.attempt(() -> positive(settings, "idle", Duration.ofMinutes(5))).orElse(null);
        Duration idle = parsedIdle == null ? Duration.ofMinutes(5) : parsedIdle;
        Duration wakeTimeout = problems.attempt(() -> WakeTimeout.read(settings)).orElse(WakeTimeout.DEFAULT);
        Duration drainTimeout = problems.attempt(() -> settings.duration("drain-timeout", Duration.ofSeconds(30)))
                .orElse(Duration.ofSeconds(30));
        Duration pauseAfter = problems.attempt(() -> {
            Duration value = settings.duration("pause-after").orElse(null);
            // Compared with idle only when idle itself was readable: a default would blame the wrong key.
            if (value != null && parsedIdle != null && value.compareTo(idle) >= 0) {
                throw settings.invalid("pause-after", "must be shorter than idle (" + io.zeroscale.spi.Durations.format(idle)
                        + "), or the target goes to zero before it is ever paused");
            }
            return value;
        }).orElse(null);
        Activation activation = problems.attempt(() -> settings.optionalChild("activation").map(node -> {
            node.requireOnlyKeys(Set.of("signal", "above"));
            String signal = node.requireString("signal");
            if (!signals.contains(signal) && !ReservedSignals.ALL.contains(signal)) {
                throw node.invalid("signal", "no signal named '" + signal + "'; "
                        + Config.suggestion(signal, signals.isEmpty() ? Set.of(ReservedSignals.ARRIVAL_RATE) : signals));
            }
            return new Activation(signal, node.doubleValue("above", 0));
        }).orElse(null)).orElse(null);
        HybridHistogram adaptive = adaptive(settings, problems, adaptiveByDefault);
        if (adaptive != null && pauseAfter != null) {
            problems.add(Policies.invalid(settings, "pause-after", "cannot be combined with the adaptive keep-alive yet; remove "
                    + "pause-after or set adaptive: false"));
        }
        problems.throwIfAny();
        return new ZeroToNSettings(idle, wakeTimeout, drainTimeout, pauseAfter, activation, adaptive);
    }

    private static @Nullable HybridHistogram adaptive(Config settings, ConfigProblems problems, boolean byDefault) {
        Object value = settings.asMap().get("adaptive");
        if (value == null) {
            return byDefault ? HybridHistogram.DEFAULT : null;
        }
        if (value instanceof Boolean on) {
            return on ? HybridHistogram.DEFAULT : null;
        }
        if (!(value instanceof java.util.Map<?, ?>)) {
            problems.add(settings.invalid("adaptive", "expected true, false or a mapping of the adaptive keep-alive's settings ("
                    + new java.util.TreeSet<>(HybridHistogram.KEYS) + ")"));
            return null;
        }
        return HybridHistogram.fromConfig(settings.child("adaptive"), problems);
    }

    private static Duration positive(Config settings, String key, Duration defaultValue) {
        Duration value = settings.duration(key, defaultValue);
        if (value.isZero()) {
            throw settings.invalid(key, "must be longer than 0s");
        }
        return value;
    }
}
