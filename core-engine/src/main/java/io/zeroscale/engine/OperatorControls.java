package io.zeroscale.engine;

import io.zeroscale.spi.Durations;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What an operator set on a target: a manual override (replicas, maybe until a given time) and
 * the automation pause. Each change is journalled and handed to the engine's state store, so it
 * survives a restart and a change of leader; a reconfigured target's actor takes it over from its
 * predecessor. The actor reads it for the safety rules (the override) and to know whether the
 * automaton may hear of anything (the pause). Confined to the target's actor.
 */
final class OperatorControls {
    /** What operator controls need of their target's actor. */
    interface Target {
        void journal(JournalEntry.Kind kind, String message);

        /** Keeps what an operator set for the next start (the engine writes it off the actor's thread). */
        void save(SavedState.Operator operator);
    }

    private final Target target;
    private boolean automationPaused;
    private @Nullable Integer overrideReplicas;
    private @Nullable Instant overrideUntil;

    OperatorControls(Target target) {
        this.target = target;
    }

    /** Takes over what a predecessor held: nothing changed, so nothing is journalled or saved. */
    void takeOver(SavedState.Operator operator) {
        set(operator);
    }

    /**
     * Takes over what was saved before the last restart and journals where it came from, or
     * journals why the saved state was set aside. Returns true when something was taken over.
     */
    boolean restore(SavedState.Loaded loaded) {
        String problem = loaded.problem();
        if (problem != null) {
            target.journal(JournalEntry.Kind.STATE, problem);
        }
        SavedState.Operator operator = loaded.operator();
        if (operator == null || operator.isNone()) {
            return false;
        }
        set(operator);
        target.journal(JournalEntry.Kind.STATE, "restored from " + loaded.location() + ": " + operator.describe());
        return true;
    }

    /**
     * After this daemon gained leadership: takes over what the previous leader set, read again from
     * the store (none there: none), journalling the change; when the store could not be read, keeps
     * what this daemon knew and journals why.
     */
    void reloaded(SavedState.Loaded loaded) {
        String problem = loaded.problem();
        if (problem != null) {
            target.journal(JournalEntry.Kind.STATE, problem.replace("; starting without a saved pause or override",
                    "; keeping this daemon's own pause and override"));
            return;
        }
        SavedState.Operator stored = loaded.operator();
        SavedState.Operator now = stored == null ? SavedState.Operator.NONE : stored;
        SavedState.Operator before = current();
        set(now);
        if (!current().equals(before)) {
            target.journal(JournalEntry.Kind.STATE, "taken over from the previous leader through " + loaded.location() + ": "
                    + (now.isNone() ? "no pause, no override" : now.describe()));
        }
    }

    /**
     * Pauses or resumes automation. Returns true when this hands automation back (it was paused
     * and no longer is): the automaton then hears what it missed and the workload is reconciled.
     */
    boolean pause(boolean paused, String who) {
        boolean resumed = automationPaused && !paused;
        automationPaused = paused;
        changed((paused ? "automation paused" : "automation resumed") + " by " + who);
        return resumed;
    }

    /** Sets ({@code replicas} non-null, for {@code expiry} or for ever) or clears the manual override. */
    void override(@Nullable Integer replicas, @Nullable Duration expiry, String who, Instant now) {
        overrideReplicas = replicas;
        overrideUntil = replicas == null || expiry == null ? null : now.plus(expiry);
        changed(replicas == null
                ? "manual override cleared by " + who
                : "manual override to " + replicas + " replicas by " + who + (expiry == null ? "" : " for " + Durations.format(expiry)));
    }

    /** Clears the override if it expired by {@code now}. */
    void expire(Instant now) {
        Instant until = overrideUntil;
        if (until != null && !now.isBefore(until)) {
            overrideReplicas = null;
            overrideUntil = null;
            changed("manual override expired");
        }
    }

    /** True while the automaton hears of nothing and the workload is left as it is. */
    boolean automationPaused() {
        return automationPaused;
    }

    /** The replicas an operator pinned, or null. */
    @Nullable Integer overrideReplicas() {
        return overrideReplicas;
    }

    /** When the override expires, or null (none, or for ever). */
    @Nullable Instant overrideUntil() {
        return overrideUntil;
    }

    SavedState.Operator current() {
        return new SavedState.Operator(automationPaused, overrideReplicas, overrideUntil);
    }

    private void set(SavedState.Operator operator) {
        automationPaused = operator.automationPaused();
        overrideReplicas = operator.overrideReplicas();
        overrideUntil = operator.overrideReplicas() == null ? null : operator.overrideUntil();
    }

    private void changed(String message) {
        target.journal(JournalEntry.Kind.OPERATOR, message);
        target.save(current());
    }
}
