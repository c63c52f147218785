package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import io.zeroscale.spi.automaton.ReplicaBounds;
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
        // Every setting is checked even after one fails, so a policy's mistakes are reported together.
        Config settings = spec.settings();
        ConfigProblems problems = new ConfigProblems();
        problems.attempt(() -> settings.requireOnlyKeys(KEYS));
        String signal = problems.attempt(() -> Policies.requireSignal(settings, "signal", spec.signals())).orElse(null);
        List<StepAutomaton.Step> steps = problems.attempt(() -> steps(settings, spec.bounds(), problems)).orElse(null);
        problems.throwIfAny();
        return new StepAutomaton(requireNonNull(signal), requireNonNull(steps), spec.bounds());
    }

    private static List<StepAutomaton.Step> steps(Config settings, ReplicaBounds bounds, ConfigProblems problems) {
        if (!settings.has("steps")) {
            throw settings.invalid("steps", "required key is missing; add a list such as"
                    + " [ { above: 0, replicas: 1 }, { above: 100, replicas: 3 } ]");
        }
        List<Config> items = Policies.mapList(settings, "steps");
        if (items.isEmpty()) {
            throw Policies.invalid(settings, "steps", "needs at least one step such as { above: 0, replicas: 1 }");
        }
        List<StepAutomaton.Step> steps = new ArrayList<>();
        // the last step whose settings were valid: each step is compared with it, so one bad step
        // does not hide the mistakes of the next ones
        StepAutomaton.Step before = null;
        int beforeIndex = -1;
        for (int i = 0; i < items.size(); i++) {
            Config item = items.get(i);
            problems.attempt(() -> item.requireOnlyKeys(STEP_KEYS));
            Double above = problems.attempt(() -> Policies.requireNumber(item, "above")).orElse(null);
            Integer replicas = problems.attempt(() -> Policies.replicasWithin(item, "replicas", bounds)).orElse(null);
            if (above == null || replicas == null) {
                continue;
            }
            if (before != null && !(above > before.above())) {
                problems.add(Policies.invalid(item, "above", Policies.number(above) + " must be greater than steps["
                        + beforeIndex + "].above (" + Policies.number(before.above()) + "); list steps from the lowest"
                        + " threshold up, each threshold once"));
            }
            if (before != null && replicas < before.replicas()) {
                problems.add(Policies.invalid(item, "replicas", replicas + " is fewer than steps[" + beforeIndex
                        + "].replicas (" + before.replicas() + "); a higher threshold must not ask for fewer replicas"));
            }
            before = new StepAutomaton.Step(above, replicas);
            beforeIndex = i;
            steps.add(before);
        }
        return steps;
    }
}
