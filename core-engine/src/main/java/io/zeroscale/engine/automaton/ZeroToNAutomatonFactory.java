package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import io.zeroscale.spi.automaton.ReplicaBounds;

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
        // The tracker recommends only while ACTIVE, where at least one replica runs (zero is the
        // idle path's): with the bounds' min of 0 it recommended 0 for a target with nothing in
        // flight, the automaton raised that to 1, and the tracker never counted as settled, so
        // every idle target ticked every second until its idle time (issue 19: 100,000 targets),
        // and each such tick recorded a scale-down that never happened against the rate policies.
        ReplicaBounds bounds = spec.bounds();
        ReplicaBounds active = new ReplicaBounds(Math.max(1, bounds.min()), Math.max(1, bounds.max()));
        TargetTracker tracker = settings.optionalChild("target")
                .map(target -> TargetTracker.fromConfig(target, settings.child("behavior"), active, spec.signals()))
                .orElse(null);
        return new ZeroToNAutomaton(parsed, spec.bounds(), tracker);
    }
}
