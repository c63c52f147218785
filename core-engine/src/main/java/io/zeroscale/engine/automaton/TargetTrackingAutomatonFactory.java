package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import java.util.Set;

/**
 * Builds {@code target-tracking} automata. Keys: {@code target} (required: {@code signal} and one of
 * {@code per-replica}, {@code utilization}, {@code value}; optional {@code tolerance}) and {@code
 * behavior} (HPA-style {@code scale-up}/{@code scale-down} rules). See {@link TargetTracker}.
 */
public final class TargetTrackingAutomatonFactory implements AutomatonFactory {
    private static final Set<String> KEYS = Set.of("target", "behavior");

    @Override
    public String type() {
        return TargetTrackingAutomaton.TYPE;
    }

    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        Config settings = spec.settings().requireOnlyKeys(KEYS);
        TargetTracker tracker = TargetTracker.fromConfig(
                settings.requireChild("target"), settings.child("behavior"), spec.bounds(), spec.signals());
        return new TargetTrackingAutomaton(tracker, spec.bounds());
    }
}
