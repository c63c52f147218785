package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
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
        Config settings = spec.settings().requireOnlyKeys(KEYS);
        String signal = Policies.requireSignal(settings, "signal", spec.signals());
        double above = Policies.requireNumber(settings, "scale-up-above");
        double below = Policies.requireNumber(settings, "scale-down-below");
        if (!(below < above)) {
            throw Policies.invalid(settings, "scale-down-below", Policies.number(below)
                    + " must be below scale-up-above (" + Policies.number(above) + "); the gap between them is where"
                    + " the replicas stay put");
        }
        int step = Policies.atLeastOne(settings, "step", 1);
        Duration cooldown = settings.duration("cooldown", Duration.ofMinutes(1));
        return new ThresholdAutomaton(signal, above, below, step, cooldown, spec.bounds());
    }
}
