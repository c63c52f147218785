package io.zeroscale.engine.automata;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.TargetContext;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code target-tracking}: the Kubernetes HPA v2 algorithm ({@link TargetTracker}) on one signal,
 * between {@code replicas.min} and {@code replicas.max}.
 *
 * <p>The tracker's "current replicas" is the last decided count ({@link
 * TargetContext#desiredReplicas()}), as the HPA uses {@code scale.spec.replicas}: replicas still
 * starting count as current, so each change is counted once by the rate policies and a slow start
 * does not make the automaton ask again. Only {@link Event.Start} uses the observed replicas, since
 * nothing has been decided yet.
 *
 * <p>One state, {@code TRACKING}. Transition table (every event stays in TRACKING):
 *
 * <table>
 *   <caption>target-tracking</caption>
 *   <tr><th>event</th><th>effect</th></tr>
 *   <tr><td>Start</td><td>recommend with the observed replicas as current</td></tr>
 *   <tr><td>Tick, ObservedChanged</td><td>recommend</td></tr>
 *   <tr><td>SignalChanged</td><td>recommend if it is the tracked signal, else keep</td></tr>
 *   <tr><td>RequestsChanged</td><td>recommend if the tracked signal is a gateway counter, else keep</td></tr>
 *   <tr><td>ObservationFailed, ReplicaFailed, Drained, ActuationFailed</td><td>keep the decision</td></tr>
 *   <tr><td>TimerFired</td><td>illegal: this automaton sets no timers</td></tr>
 *   <tr><td>anything before Start</td><td>illegal</td></tr>
 * </table>
 *
 * <p>Routing is FORWARD while the observed state has ready endpoints, HOLD otherwise.
 */
final class TargetTrackingAutomaton implements Automaton {
    static final String TYPE = "target-tracking";
    static final String TRACKING = "TRACKING";

    private final TargetTracker tracker;
    private final ReplicaBounds bounds;
    private @Nullable Decision last;

    TargetTrackingAutomaton(TargetTracker tracker, ReplicaBounds bounds) {
        this.tracker = requireNonNull(tracker, "tracker is null");
        this.bounds = requireNonNull(bounds, "bounds is null");
    }

    @Override
    public String state() {
        return TRACKING;
    }

    @Override
    public Set<String> states() {
        return Set.of(TRACKING);
    }

    @Override
    public Decision onEvent(Event event, TargetContext context) {
        Decision previous = last;
        if (previous == null && !(event instanceof Event.Start)) {
            throw Policies.notStarted(TYPE, event);
        }
        Decision next = switch (event) {
            case Event.Start start -> track(context, start.observed().replicas());
            case Event.Tick tick -> track(context, context.desiredReplicas());
            case Event.ObservedChanged changed -> track(context, context.desiredReplicas());
            case Event.SignalChanged changed -> changed.signal().equals(tracker.signal())
                    ? track(context, context.desiredReplicas())
                    : Policies.refresh(context, requireNonNull(previous));
            case Event.RequestsChanged changed -> Policies.isReserved(tracker.signal())
                    ? track(context, context.desiredReplicas())
                    : Policies.refresh(context, requireNonNull(previous));
            case Event.ObservationFailed failed -> Policies.refresh(context, requireNonNull(previous));
            case Event.ReplicaFailed failed -> Policies.refresh(context, requireNonNull(previous));
            case Event.Drained drained -> Policies.refresh(context, requireNonNull(previous));
            case Event.ActuationFailed failed -> Policies.refresh(context, requireNonNull(previous));
            case Event.TimerFired fired -> throw Policies.illegal(TYPE, TRACKING, fired);
        };
        last = next;
        return next;
    }

    private Decision track(TargetContext context, int current) {
        int replicas = bounds.clamp(tracker.recommend(context, current));
        return Policies.decide(context, replicas, tracker.lastReason());
    }
}
