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
        // The tracker sizes the target only while it is up: at least one replica (zero is the idle
        // timer's call, not the tracker's). With the floor inside the tracker, a load that asks for
        // fewer than one replica leaves it settled (no tick could change the answer), and no
        // scale-down the floor undoes is counted by its rate policies.
        ReplicaBounds bounds = spec.bounds();
        ReplicaBounds tracked = new ReplicaBounds(Math.min(Math.max(1, bounds.min()), bounds.max()), bounds.max());
        TargetTracker tracker = settings.optionalChild("target")
                .map(target -> TargetTracker.fromConfig(target, settings.child("behavior"), tracked, spec.signals()))
                .orElse(null);
        return new ZeroToNAutomaton(parsed, spec.bounds(), tracker);
    }
}
