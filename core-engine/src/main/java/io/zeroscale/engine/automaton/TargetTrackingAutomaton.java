package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.TargetContext;

/**
 * {@code target-tracking}: the Kubernetes HPA v2 algorithm ({@link TargetTracker}) on one signal,
 * between {@code replicas.min} and {@code replicas.max}.
 *
 * <p>The tracker's "current replicas" is the last decided count ({@link
 * TargetContext#desiredReplicas()}), as the HPA uses {@code scale.spec.replicas}: replicas still
 * starting count as current, so each change is counted once by the rate policies and a slow start
 * does not make the automaton ask again. Only {@code Event.Start} uses the observed replicas, since
 * nothing has been decided yet.
 *
 * <p>One state, {@code TRACKING}; events are handled as {@link SignalFollowingAutomaton}'s table says.
 *
 * <p>Routing is FORWARD while the observed state has ready endpoints, HOLD otherwise.
 */
final class TargetTrackingAutomaton extends SignalFollowingAutomaton {
    static final String TYPE = "target-tracking";
    static final String TRACKING = "TRACKING";

    private final TargetTracker tracker;
    private final ReplicaBounds bounds;

    TargetTrackingAutomaton(TargetTracker tracker, ReplicaBounds bounds) {
        super(TYPE, TRACKING, tracker.signal());
        this.tracker = requireNonNull(tracker, "tracker is null");
        this.bounds = requireNonNull(bounds, "bounds is null");
    }

    @Override
    Decision evaluate(TargetContext context, int current) {
        int replicas = bounds.clamp(tracker.recommend(context, current));
        return Policies.decide(context, replicas, tracker.lastReason());
    }
}
