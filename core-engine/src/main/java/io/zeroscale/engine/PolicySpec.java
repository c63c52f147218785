package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.POLICY_INVALID;
import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.ReservedSignals;
import io.zeroscale.spi.metrics.MetricQuery;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A target's {@code policy:} block, split into what the engine owns (automaton type, replica
 * bounds, signals, tick) and the automaton's own settings.
 *
 * @param automaton the automaton type, e.g. {@code zero-to-n}
 * @param bounds replicas min and max
 * @param signals the signals, by name, in config order
 * @param tick how often signals are pulled and the automaton re-evaluates
 * @param startFailures crash-loop backoff of failing replicas and when to give up on a wake
 * @param settings every other key of the policy, for the automaton's factory to validate
 */
public record PolicySpec(
        String automaton, ReplicaBounds bounds, Map<String, SignalSpec> signals, Duration tick,
        StartFailureSettings startFailures, Config settings) {
    /** The policy keys the engine reads itself; all others go to the automaton. */
    public static final Set<String> ENGINE_KEYS = Set.of("automaton", "replicas", "signals", "tick", "start-failures");

    /** Names of signals the engine derives from the gateway's counters. */
    public static final Set<String> RESERVED_SIGNALS = ReservedSignals.ALL;

    public static final String DEFAULT_AUTOMATON = "zero-to-n";

    public PolicySpec {
        requireNonNull(automaton, "automaton is null");
        requireNonNull(bounds, "bounds is null");
        signals = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(signals, "signals is null")));
        requireNonNull(tick, "tick is null");
        if (tick.isZero() || tick.isNegative()) {
            throw new IllegalArgumentException("tick must be positive");
        }
        requireNonNull(startFailures, "startFailures is null");
        requireNonNull(settings, "settings is null");
    }

    /**
     * Reads a {@code policy:} node. Checks what the engine owns (bounds, durations, signal shape);
     * the automaton's factory checks the rest.
     *
     * @throws ZeroscaleException naming every problem's path and fix
     */
    public static PolicySpec fromConfig(Config policy) {
        ConfigProblems problems = new ConfigProblems();
        PolicySpec spec = fromConfig(policy, problems);
        problems.throwIfAny();
        return spec;
    }

    /**
     * Reads a {@code policy:} node, recording every problem in {@code problems}. What is wrong is
     * replaced by a harmless value (bounds 0..1, a tick of 1s, no such signal, the default
     * start-failures settings) so the caller can still hand the rest to the automaton's factory
     * and report its problems too; a policy read with problems must never run.
     */
    public static PolicySpec fromConfig(Config policy, ConfigProblems problems) {
        String automaton = problems.attempt(() -> policy.string("automaton", DEFAULT_AUTOMATON)).orElse(DEFAULT_AUTOMATON);
        ReplicaBounds bounds = problems.attempt(() -> bounds(policy.child("replicas"))).orElse(new ReplicaBounds(0, 1));
        Duration tick = problems.attempt(() -> {
            Duration value = policy.duration("tick", Duration.ofSeconds(1));
            if (value.isZero()) {
                throw policy.invalid("tick", "must be longer than 0s, e.g. 1s");
            }
            return value;
        }).orElse(Duration.ofSeconds(1));
        Map<String, SignalSpec> signals = new LinkedHashMap<>();
        Config signalsNode = policy.child("signals");
        problems.attempt(() -> signalsNode.children()).orElse(Map.of()).forEach((name, signal) ->
                problems.attempt(() -> signal(signalsNode, name, signal)).ifPresent(spec -> signals.put(name, spec)));
        StartFailureSettings startFailures = StartFailureSettings.fromConfig(policy.child("start-failures"), problems);
        Map<String, Object> rest = new LinkedHashMap<>(policy.asMap());
        rest.keySet().removeAll(ENGINE_KEYS);
        return new PolicySpec(automaton, bounds, signals, tick, startFailures, Config.of(policy.path(), rest));
    }

    private static ReplicaBounds bounds(Config replicas) {
        replicas.requireOnlyKeys(Set.of("min", "max"));
        int min = replicas.integer("min", 0);
        int max = replicas.integer("max", Math.max(1, min));
        if (min < 0) {
            throw new ZeroscaleException(POLICY_INVALID, replicas.pathOf("min") + ": must not be negative, got " + min);
        }
        if (min > max) {
            throw new ZeroscaleException(POLICY_INVALID, replicas.path() + ": min (" + min + ") is greater than max ("
                    + max + "); lower min or raise max");
        }
        return new ReplicaBounds(min, max);
    }

    private static SignalSpec signal(Config signalsNode, String name, Config signal) {
        if (RESERVED_SIGNALS.contains(name)) {
            throw signalsNode.invalid(name, "'" + name + "' is a reserved signal fed by the gateway; pick another name");
        }
        String source = signal.requireString("source");
        String query = signal.requireString("query");
        Duration window = signal.duration("window", Duration.ofMinutes(1));
        Map<String, Object> options = new LinkedHashMap<>(signal.asMap());
        options.remove("source");
        options.remove("query");
        options.remove("window");
        return new SignalSpec(name, source, new MetricQuery(name, query, Config.of(signal.path(), options)), window);
    }
}
