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
        // Every setting is checked even after one fails, so a policy's mistakes are reported together.
        Config settings = spec.settings();
        ConfigProblems problems = new ConfigProblems();
        problems.attempt(() -> settings.requireOnlyKeys(KEYS));
        String signal = problems.attempt(() -> Policies.requireSignal(settings, "signal", spec.signals())).orElse(null);
        Double alpha = problems.attempt(() -> alpha(settings)).orElse(null);
        Integer history = problems.attempt(() -> history(settings)).orElse(null);
        Double sigmas = problems.attempt(
                () -> Policies.positive(settings, "sigmas", Policies.number(settings, "sigmas", 1.5))).orElse(null);
        Integer step = problems.attempt(() -> Policies.atLeastOne(settings, "step", 1)).orElse(null);
        Duration cooldown = problems.attempt(() -> settings.duration("cooldown", Duration.ofMinutes(1))).orElse(null);
        problems.throwIfAny();
        return new LatencyBandAutomaton(requireNonNull(signal), requireNonNull(alpha), requireNonNull(history),
                requireNonNull(sigmas), requireNonNull(step), requireNonNull(cooldown), spec.bounds());
    }

    private static double alpha(Config settings) {
        double alpha = Policies.number(settings, "alpha", 0.3);
        if (!(alpha > 0 && alpha <= 1)) {
            throw Policies.invalid(settings, "alpha", "must be above 0 and at most 1 (the weight of the newest"
                    + " sample; 1 = no smoothing), got " + Policies.number(alpha));
        }
        return alpha;
    }

    private static int history(Config settings) {
        int history = settings.integer("history", 20);
        if (history < 2 || history > MAX_HISTORY) {
            throw Policies.invalid(settings, "history", "must be between 2 (to have a spread) and " + MAX_HISTORY
                    + " samples, got " + history);
        }
        return history;
    }
}
