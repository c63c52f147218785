package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.metrics.SignalValue;
import java.util.List;

/**
 * {@code step}: replicas are a step function of one signal. The chosen step is the one with the
 * highest {@code above} that the value exceeds (strictly); when it exceeds none, the replicas are
 * {@code replicas.min}. Steps are validated at creation: thresholds strictly increasing, replicas
 * non-decreasing and within bounds. An unknown signal keeps the last decided replicas (at Start,
 * the observed ones).
 *
 * <p>Events are handled as {@link SignalFollowingAutomaton}'s table says.
 */
final class StepAutomaton extends SignalFollowingAutomaton {
    static final String TYPE = "step";
    static final String MAPPING = "MAPPING";

    private final String signal;
    private final List<Step> steps;
    private final ReplicaBounds bounds;

    StepAutomaton(String signal, List<Step> steps, ReplicaBounds bounds) {
        super(TYPE, MAPPING, signal);
        this.signal = requireNonNull(signal, "signal is null");
        this.steps = List.copyOf(steps);
        if (this.steps.isEmpty()) {
            throw new IllegalArgumentException("steps must not be empty");
        }
        this.bounds = requireNonNull(bounds, "bounds is null");
    }

    @Override
    Decision evaluate(TargetContext context, int current) {
        return switch (context.signal(signal)) {
            case SignalValue.Unknown unknown -> {
                int held = bounds.clamp(current);
                yield Policies.decide(context, held, signal + " unknown (" + unknown.reason() + "); holding "
                        + Policies.replicas(held));
            }
            case SignalValue.Known known -> {
                String shown = signal + " " + Policies.value(known.value());
                Step chosen = null;
                for (Step step : steps) {
                    if (known.value() > step.above()) {
                        chosen = step;
                    }
                }
                yield chosen == null
                        ? Policies.decide(context, bounds.min(), shown + " not above the lowest step ("
                                + Policies.number(steps.get(0).above()) + ") -> min " + Policies.replicas(bounds.min()))
                        : Policies.decide(context, bounds.clamp(chosen.replicas()), shown + " above "
                                + Policies.number(chosen.above()) + " -> " + Policies.replicas(bounds.clamp(chosen.replicas())));
            }
        };
    }

    /** Above {@code above} (exclusive), run {@code replicas}. */
    record Step(double above, int replicas) {
        Step {
            if (!Double.isFinite(above)) {
                throw new IllegalArgumentException("above must be finite");
            }
            if (replicas < 0) {
                throw new IllegalArgumentException("replicas must not be negative");
            }
        }
    }
}
