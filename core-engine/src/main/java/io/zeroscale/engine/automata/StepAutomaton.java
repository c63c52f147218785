package io.zeroscale.engine.automata;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.metrics.SignalValue;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code step}: replicas are a step function of one signal. The chosen step is the one with the
 * highest {@code above} that the value exceeds (strictly); when it exceeds none, the replicas are
 * {@code replicas.min}. Steps are validated at creation: thresholds strictly increasing, replicas
 * non-decreasing and within bounds. An unknown signal keeps the last decided replicas (at Start,
 * the observed ones).
 *
 * <table>
 *   <caption>step (one state, MAPPING)</caption>
 *   <tr><th>event</th><th>effect</th></tr>
 *   <tr><td>Start, Tick, ObservedChanged</td><td>map the signal</td></tr>
 *   <tr><td>SignalChanged</td><td>map if it is this signal, else keep</td></tr>
 *   <tr><td>RequestsChanged</td><td>map if the signal is a gateway counter, else keep</td></tr>
 *   <tr><td>ObservationFailed, ReplicaFailed, Drained, ActuationFailed</td><td>keep</td></tr>
 *   <tr><td>TimerFired, or anything before Start</td><td>illegal</td></tr>
 * </table>
 */
final class StepAutomaton implements Automaton {
    static final String TYPE = "step";
    static final String MAPPING = "MAPPING";

    private final String signal;
    private final List<Step> steps;
    private final ReplicaBounds bounds;
    private @Nullable Decision last;

    StepAutomaton(String signal, List<Step> steps, ReplicaBounds bounds) {
        this.signal = requireNonNull(signal, "signal is null");
        this.steps = List.copyOf(steps);
        if (this.steps.isEmpty()) {
            throw new IllegalArgumentException("steps must not be empty");
        }
        this.bounds = requireNonNull(bounds, "bounds is null");
    }

    @Override
    public String state() {
        return MAPPING;
    }

    @Override
    public Set<String> states() {
        return Set.of(MAPPING);
    }

    @Override
    public Decision onEvent(Event event, TargetContext context) {
        Decision previous = last;
        if (previous == null && !(event instanceof Event.Start)) {
            throw Policies.notStarted(TYPE, event);
        }
        Decision next = switch (event) {
            case Event.Start start -> map(context, start.observed().replicas());
            case Event.Tick tick -> map(context, context.desiredReplicas());
            case Event.ObservedChanged changed -> map(context, context.desiredReplicas());
            case Event.SignalChanged changed -> changed.signal().equals(signal)
                    ? map(context, context.desiredReplicas())
                    : Policies.refresh(context, requireNonNull(previous));
            case Event.RequestsChanged changed -> Policies.isReserved(signal)
                    ? map(context, context.desiredReplicas())
                    : Policies.refresh(context, requireNonNull(previous));
            case Event.ObservationFailed failed -> Policies.refresh(context, requireNonNull(previous));
            case Event.ReplicaFailed failed -> Policies.refresh(context, requireNonNull(previous));
            case Event.Drained drained -> Policies.refresh(context, requireNonNull(previous));
            case Event.ActuationFailed failed -> Policies.refresh(context, requireNonNull(previous));
            case Event.TimerFired fired -> throw Policies.illegal(TYPE, MAPPING, fired);
        };
        last = next;
        return next;
    }

    private Decision map(TargetContext context, int current) {
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
