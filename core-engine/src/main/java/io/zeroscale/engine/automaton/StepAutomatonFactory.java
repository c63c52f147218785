package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds {@code step} automata. Keys: {@code signal} and {@code steps}, a list of {@code { above: X,
 * replicas: N }} from the lowest threshold up.
 */
public final class StepAutomatonFactory implements AutomatonFactory {
    private static final Set<String> KEYS = Set.of("signal", "steps");
    private static final Set<String> STEP_KEYS = Set.of("above", "replicas");

    @Override
    public String type() {
        return StepAutomaton.TYPE;
    }

    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        Config settings = spec.settings().requireOnlyKeys(KEYS);
        String signal = Policies.requireSignal(settings, "signal", spec.signals());
        if (!settings.has("steps")) {
            throw settings.invalid("steps", "required key is missing; add a list such as"
                    + " [ { above: 0, replicas: 1 }, { above: 100, replicas: 3 } ]");
        }
        List<Config> items = Policies.mapList(settings, "steps");
        if (items.isEmpty()) {
            throw Policies.invalid(settings, "steps", "needs at least one step such as { above: 0, replicas: 1 }");
        }
        List<StepAutomaton.Step> steps = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Config item = items.get(i).requireOnlyKeys(STEP_KEYS);
            double above = Policies.requireNumber(item, "above");
            int replicas = Policies.replicasWithin(item, "replicas", spec.bounds());
            if (i > 0) {
                StepAutomaton.Step before = steps.get(i - 1);
                if (!(above > before.above())) {
                    throw Policies.invalid(item, "above", Policies.number(above) + " must be greater than steps[" + (i - 1)
                            + "].above (" + Policies.number(before.above()) + "); list steps from the lowest threshold"
                            + " up, each threshold once");
                }
                if (replicas < before.replicas()) {
                    throw Policies.invalid(item, "replicas", replicas + " is fewer than steps[" + (i - 1) + "].replicas ("
                            + before.replicas() + "); a higher threshold must not ask for fewer replicas");
                }
            }
            steps.add(new StepAutomaton.Step(above, replicas));
        }
        return new StepAutomaton(signal, steps, spec.bounds());
    }
}
