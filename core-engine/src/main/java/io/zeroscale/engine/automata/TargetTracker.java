package io.zeroscale.engine.automata;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.metrics.SignalValue;
import java.util.Optional;
import java.util.Set;

/** Placeholder until the HPA implementation lands: the plain formula, within bounds. */
public final class TargetTracker {
    private final String signal;
    private final double perReplica;
    private final ReplicaBounds bounds;
    private String holdReason = "";

    private TargetTracker(String signal, double perReplica, ReplicaBounds bounds) {
        this.signal = signal;
        this.perReplica = perReplica;
        this.bounds = bounds;
    }

    public static TargetTracker fromConfig(Config target, Config behavior, ReplicaBounds bounds, Set<String> signals) {
        return new TargetTracker(target.requireString("signal"), target.doubleValue("per-replica", 1), bounds);
    }

    public int recommend(TargetContext ctx, int currentReplicas) {
        SignalValue value = ctx.signal(signal);
        if (value instanceof SignalValue.Known known) {
            holdReason = "";
            return bounds.clamp((int) Math.ceil(known.value() / perReplica));
        }
        holdReason = "signal '" + signal + "' is unknown";
        return currentReplicas;
    }

    public Optional<String> lastHoldReason() {
        return holdReason.isEmpty() ? Optional.empty() : Optional.of(holdReason);
    }
}
