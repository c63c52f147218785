package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;

/**
 * One line of the decision journal: what a target's automaton decided, or what the engine did
 * about it, and why.
 *
 * @param at when, from the engine's clock
 * @param target which target
 * @param kind what sort of entry
 * @param state the automaton's state after the event
 * @param replicas the desired replicas in force after this entry
 * @param routing the gateway routing in force after this entry
 * @param message the reason, in words
 */
public record JournalEntry(
        Instant at, TargetRef target, Kind kind, String state, int replicas, Routing routing, String message) {
    public JournalEntry {
        requireNonNull(at, "at is null");
        requireNonNull(target, "target is null");
        requireNonNull(kind, "kind is null");
        requireNonNull(state, "state is null");
        requireNonNull(routing, "routing is null");
        requireNonNull(message, "message is null");
    }

    /** What a journal entry records. */
    public enum Kind {
        /** The automaton changed state or its decision changed. */
        DECISION,
        /** The engine refused part of a decision to keep a safety invariant. */
        SAFETY,
        /** An alert action. */
        ALERT,
        /** Held requests were failed. */
        FAILED_HELD,
        /** An orchestrator call failed, or observation failed. */
        ACTUATION_FAILED,
        /**
         * Replicas failed in a row (a crash loop): one entry per streak, updated in place with the
         * count and the newest reason until a replica becomes ready.
         */
        START_FAILURES,
        /** Something an operator did (pause automation, manual override). */
        OPERATOR,
        /** This daemon became the leader, or stopped being it (see {@link io.zeroscale.spi.Leadership}). */
        LEADERSHIP,
        /**
         * The target was added, reconfigured or removed while the engine ran (a config reload, a
         * target source); the message says what changed and why.
         */
        CONFIG,
        /** The target's arrival history: a file that could not be read and was set aside. */
        HISTORY,
        /**
         * Saved state (an operator's pause or override, the journal) restored after a restart, or
         * a saved document that could not be read and was set aside.
         */
        STATE,
    }

    /** This entry as plugins see it ({@link io.zeroscale.spi.PluginContext#subscribe}). */
    public EngineEvent.Journalled toEvent() {
        return new EngineEvent.Journalled(at, target, kind.name(), state, replicas, routing, message);
    }
}
