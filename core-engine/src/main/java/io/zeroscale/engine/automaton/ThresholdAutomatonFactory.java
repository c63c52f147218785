package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import java.time.Duration;
import java.util.Set;

/**
 * Builds {@code threshold} automata. Keys: {@code signal}, {@code scale-up-above}, {@code
 * scale-down-below} (required, below scale-up-above), {@code step} (1), {@code cooldown} (1m).
 */
public final class ThresholdAutomatonFactory implements AutomatonFactory {
    private static final Set<String> KEYS = Set.of("signal", "scale-up-above", "scale-down-below", "step", "cooldown");

    @Override
    public String type() {
        return ThresholdAutomaton.TYPE;
    }

    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        // Every setting is checked even after one fails, so a policy's mistakes are reported together.
        Config settings = spec.settings();
        ConfigProblems problems = new ConfigProblems();
        problems.attempt(() -> settings.requireOnlyKeys(KEYS));
        String signal = problems.attempt(() -> Policies.requireSignal(settings, "signal", spec.signals())).orElse(null);
        Double above = problems.attempt(() -> Policies.requireNumber(settings, "scale-up-above")).orElse(null);
        Double below = problems.attempt(() -> Policies.requireNumber(settings, "scale-down-below")).orElse(null);
        if (above != null && below != null && !(below < above)) {
            problems.add(Policies.invalid(settings, "scale-down-below", Policies.number(below)
                    + " must be below scale-up-above (" + Policies.number(above) + "); the gap between them is where"
                    + " the replicas stay put"));
        }
        Integer step = problems.attempt(() -> Policies.atLeastOne(settings, "step", 1)).orElse(null);
        Duration cooldown = problems.attempt(() -> settings.duration("cooldown", Duration.ofMinutes(1))).orElse(null);
        problems.throwIfAny();
        return new ThresholdAutomaton(requireNonNull(signal), requireNonNull(above), requireNonNull(below),
                requireNonNull(step), requireNonNull(cooldown), spec.bounds());
    }
}
