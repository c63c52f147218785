package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.automaton.TargetContext;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A one-state automaton whose replicas follow one signal ({@code step}, {@code target-tracking}):
 * the transition table they share, with only {@link #evaluate} differing.
 *
 * <table>
 *   <caption>one state; every event stays in it</caption>
 *   <tr><th>event</th><th>effect</th></tr>
 *   <tr><td>Start</td><td>evaluate with the observed replicas as current</td></tr>
 *   <tr><td>Tick, ObservedChanged</td><td>evaluate</td></tr>
 *   <tr><td>SignalChanged</td><td>evaluate if it is the followed signal, else keep</td></tr>
 *   <tr><td>RequestsChanged</td><td>evaluate if the signal is a gateway counter, else keep</td></tr>
 *   <tr><td>ObservationFailed, ReplicaFailed, Drained, ActuationFailed</td><td>keep the decision</td></tr>
 *   <tr><td>TimerFired, or anything before Start</td><td>illegal: no timers are set</td></tr>
 * </table>
 */
abstract class SignalFollowingAutomaton implements Automaton {
    private final String type;
    private final String state;
    private final String signal;
    private @Nullable Decision last;

    SignalFollowingAutomaton(String type, String state, String signal) {
        this.type = requireNonNull(type, "type is null");
        this.state = requireNonNull(state, "state is null");
        this.signal = requireNonNull(signal, "signal is null");
    }

    /** The decision for the signal's current value, with {@code current} as the current replicas. */
    abstract Decision evaluate(TargetContext context, int current);

    @Override
    public final String state() {
        return state;
    }

    @Override
    public final Set<String> states() {
        return Set.of(state);
    }

    @Override
    public final StateDiagram describe() {
        // One state: every event stays in it, so there is no transition to draw.
        return new StateDiagram(List.of(new StateDiagram.State(state, type + ": replicas follow " + signal)), List.of());
    }

    @Override
    public final Decision onEvent(Event event, TargetContext context) {
        Decision previous = Policies.previous(type, last, event);
        Decision next = switch (event) {
            case Event.Start start -> evaluate(context, start.observed().replicas());
            case Event.Tick tick -> evaluate(context, context.desiredReplicas());
            case Event.ObservedChanged changed -> evaluate(context, context.desiredReplicas());
            case Event.SignalChanged changed -> changed.signal().equals(signal)
                    ? evaluate(context, context.desiredReplicas())
                    : Policies.refresh(context, requireNonNull(previous));
            case Event.RequestsChanged changed -> Policies.isReserved(signal)
                    ? evaluate(context, context.desiredReplicas())
                    : Policies.refresh(context, requireNonNull(previous));
            default -> Policies.unchanged(type, state, event, context, previous);
        };
        last = next;
        return next;
    }
}
