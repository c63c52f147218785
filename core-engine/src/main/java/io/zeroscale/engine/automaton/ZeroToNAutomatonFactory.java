package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;

/** The {@code zero-to-n} lifecycle policy: scale to zero when idle, wake on the first request. */
public final class ZeroToNAutomatonFactory implements AutomatonFactory {
    @Override
    public String type() {
        return "zero-to-n";
    }

    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        Config settings = spec.settings();
        ZeroToNSettings parsed = ZeroToNSettings.fromConfig(settings, spec.signals());
        TargetTracker tracker = settings.optionalChild("target")
                .map(target -> TargetTracker.fromConfig(target, settings.child("behavior"), spec.bounds(), spec.signals()))
                .orElse(null);
        return new ZeroToNAutomaton(parsed, spec.bounds(), tracker);
    }
}
