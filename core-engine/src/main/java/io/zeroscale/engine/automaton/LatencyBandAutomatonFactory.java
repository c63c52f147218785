package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import java.time.Duration;
import java.util.Set;

/**
 * Builds {@code latency-band} automata. Keys: {@code signal} (required), {@code alpha} (0.3),
 * {@code history} (20 samples), {@code sigmas} (1.5), {@code step} (1), {@code cooldown} (1m). See
 * {@link LatencyBandAutomaton} for the rule.
 */
public final class LatencyBandAutomatonFactory implements AutomatonFactory {
    // the band is recomputed from the whole history on every sample; keep that cheap
    private static final int MAX_HISTORY = 1000;
    private static final Set<String> KEYS = Set.of("signal", "alpha", "history", "sigmas", "step", "cooldown");

    @Override
    public String type() {
        return LatencyBandAutomaton.TYPE;
    }

    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        Config settings = spec.settings().requireOnlyKeys(KEYS);
        String signal = Policies.requireSignal(settings, "signal", spec.signals());
        double alpha = Policies.number(settings, "alpha", 0.3);
        if (!(alpha > 0 && alpha <= 1)) {
            throw Policies.invalid(settings, "alpha", "must be above 0 and at most 1 (the weight of the newest"
                    + " sample; 1 = no smoothing), got " + Policies.number(alpha));
        }
        int history = settings.integer("history", 20);
        if (history < 2 || history > MAX_HISTORY) {
            throw Policies.invalid(settings, "history", "must be between 2 (to have a spread) and " + MAX_HISTORY
                    + " samples, got " + history);
        }
        double sigmas = Policies.positive(settings, "sigmas", Policies.number(settings, "sigmas", 1.5));
        int step = Policies.atLeastOne(settings, "step", 1);
        Duration cooldown = settings.duration("cooldown", Duration.ofMinutes(1));
        return new LatencyBandAutomaton(signal, alpha, history, sigmas, step, cooldown, spec.bounds());
    }
}
