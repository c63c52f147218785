package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;

/** The {@code zero-to-n} lifecycle policy: scale to zero when idle, wake on the first request. */
public final class ZeroToNAutomatonFactory implements AutomatonFactory {
    private final String type;
    private final boolean adaptive;

    /** {@code zero-to-n}: the fixed idle time unless {@code adaptive:} is set. */
    public ZeroToNAutomatonFactory() {
        this("zero-to-n", false);
    }

    private ZeroToNAutomatonFactory(String type, boolean adaptive) {
        this.type = type;
        this.adaptive = adaptive;
    }

    /**
     * {@code adaptive}: {@code zero-to-n} with the adaptive keep-alive and pre-wake on (see
     * {@link HybridHistogram}); the same settings, {@code adaptive:} tunes it.
     */
    public static ZeroToNAutomatonFactory adaptive() {
        return new ZeroToNAutomatonFactory("adaptive", true);
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        Config settings = spec.settings();
        ZeroToNSettings parsed = ZeroToNSettings.fromConfig(settings, spec.signals(), adaptive);
        TargetTracker tracker = settings.optionalChild("target")
                .map(target -> TargetTracker.fromConfig(target, settings.child("behavior"), spec.bounds(), spec.signals()))
                .orElse(null);
        return new ZeroToNAutomaton(parsed, spec.bounds(), tracker);
    }
}
