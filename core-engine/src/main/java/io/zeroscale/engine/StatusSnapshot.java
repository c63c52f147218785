package io.zeroscale.engine;

import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.Routing;

/**
 * A target's {@link TargetStatus} made from its actor's parts as they stand: the automaton's state,
 * the decision last applied (its replicas, routing and reason), the observation, the operator's
 * override and pause, the signals and counters, and the start-failure streak. Made on the actor
 * after each change; the status itself is read on any thread.
 */
final class StatusSnapshot {
    private final TargetSpec spec;
    private final AutomatonRun run;
    private final DecisionApplication decisions;
    private final TargetView view;
    private final OperatorControls operator;
    private final StartFailures startFailures;

    StatusSnapshot(TargetSpec spec, AutomatonRun run, DecisionApplication decisions, TargetView view,
            OperatorControls operator, StartFailures startFailures) {
        this.spec = spec;
        this.run = run;
        this.decisions = decisions;
        this.view = view;
        this.operator = operator;
        this.startFailures = startFailures;
    }

    /** The status now, its reason the last applied decision's (or where the target is before its first decision). */
    TargetStatus take() {
        Decision last = decisions.applied();
        return take(last == null ? (run.started() ? "started" : "waiting for the first observation") : last.reason());
    }

    /** The status now, with {@code reason}. */
    TargetStatus take(String reason) {
        Decision current = decisions.applied();
        ObservedState observed = view.observed();
        return new TargetStatus(spec.name(), spec.ref(), run.started(), run.state(),
                current == null ? observed.desiredReplicas() : current.replicas(), observed.desiredReplicas(), observed.replicas(),
                observed.readyReplicas(),
                view.observationStale(), current == null ? Routing.HOLD : current.routing(), operator.automationPaused(),
                operator.overrideReplicas(), operator.overrideUntil(), view.allSignals(), view.requests(), reason, view.now(),
                startFailures.streak());
    }
}
