package io.zeroscale.engine;

import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.orchestrator.ObservedState;
import org.jspecify.annotations.Nullable;

/**
 * What happens to each decision of a target's automaton: it is checked against the {@link
 * SafetyRules} (a zero they hold back is journalled once per reason), becomes the applied
 * decision, is journalled and announced when the state or its effect changed, and its actions run
 * (alerts, answering held requests). Then the route is published, and the leader actuates it while
 * a follower may only wake the target from zero. Confined to the target's actor.
 */
final class DecisionApplication {
    /** What applying a decision does outside this class, in this order. */
    interface Effects {
        void journal(JournalEntry.Kind kind, String message);

        /** The safety rules held a zero back (telemetry). */
        void zeroHeld();

        /** The state or the decision's effect changed (telemetry and the engine's listeners). */
        void changed(String from, String to, Decision decision);

        /** Sends (or, on a follower, only journals) an alert. */
        void alert(Action.Alert alert);

        /** Answers this daemon's own gateway's held requests. */
        void failHeld(int status, String reason);

        void publishRoute();

        /** As the leader: make the workload what {@code decision} says. */
        void actuate(Decision decision);

        /** As a follower: wake the workload from zero, conditionally, if {@code decision} needs it. */
        void wakeAsFollower(Decision decision);
    }

    private final Effects effects;
    private @Nullable Decision applied;
    private @Nullable String lastSafetyHold;

    DecisionApplication(Effects effects) {
        this.effects = effects;
    }

    /** The decision last applied (after the safety rules), or null before the first one. */
    @Nullable Decision applied() {
        return applied;
    }

    /**
     * The replica count the safety rules start from: the last applied decision's, or before any
     * the larger of the backend's desired and existing counts.
     */
    int currentReplicas(ObservedState observed) {
        Decision previous = applied;
        return previous != null ? previous.replicas() : Math.max(observed.desiredReplicas(), observed.replicas());
    }

    /** Nothing decided is taken as applied any more (the automaton starts over). */
    void forget() {
        applied = null;
        lastSafetyHold = null;
    }

    /**
     * Applies {@code decision}, which the automaton made moving from {@code stateBefore} to {@code
     * stateAfter}, checked against {@code inputs}.
     */
    void apply(String stateBefore, String stateAfter, Decision decision, SafetyRules.Inputs inputs, boolean leader) {
        Decision previous = applied;
        SafetyRules.Verdict verdict = SafetyRules.enforce(decision, inputs);
        Decision safe = verdict.decision();
        String held = verdict.zeroHeld();
        if (held != null && !held.equals(lastSafetyHold)) {
            effects.zeroHeld();
            effects.journal(JournalEntry.Kind.SAFETY, "kept " + safe.replicas() + " replicas instead of 0: " + held);
        }
        lastSafetyHold = held;
        boolean stateChanged = !stateBefore.equals(stateAfter);
        boolean effectChanged = previous == null || !safe.sameEffect(previous);
        applied = safe;
        if (stateChanged || effectChanged) {
            effects.journal(JournalEntry.Kind.DECISION, (stateChanged ? stateBefore + " -> " + stateAfter + ": " : "") + safe.reason());
            effects.changed(stateBefore, stateAfter, safe);
        }
        if (!safe.actions().isEmpty()) { // most decisions have none: no iterator
            for (Action action : safe.actions()) {
                switch (action) {
                    case Action.Alert alert -> effects.alert(alert);
                    case Action.FailHeld fail -> {
                        // Every daemon replica answers its own gateway's held requests.
                        effects.journal(JournalEntry.Kind.FAILED_HELD, "held requests answered " + fail.status() + ": " + fail.reason());
                        effects.failHeld(fail.status(), fail.reason());
                    }
                }
            }
        }
        // Routes go on without leadership: every daemon replica serves its own gateway.
        effects.publishRoute();
        if (leader) {
            effects.actuate(safe);
        } else {
            effects.wakeAsFollower(safe);
        }
    }
}
