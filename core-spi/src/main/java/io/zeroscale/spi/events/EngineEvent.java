package io.zeroscale.spi.events;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;

/**
 * Something the engine did, as a value a plugin receives through {@link EngineListener}. Switch
 * over it with a {@code default} branch: kinds may be added.
 */
public sealed interface EngineEvent {
    /** When it happened, from the engine's clock. */
    Instant at();

    /** The target it concerns. */
    TargetRef target();

    /**
     * A line of the decision journal, as the REST API and the dashboard show it.
     *
     * @param at when, from the engine's clock
     * @param target which target
     * @param kind what sort of entry: {@code DECISION}, {@code SAFETY}, {@code ALERT}, {@code
     *     FAILED_HELD}, {@code ACTUATION_FAILED}, {@code START_FAILURES}, {@code OPERATOR}, {@code
     *     LEADERSHIP}, {@code CONFIG}, {@code HISTORY}, {@code STATE}; more may be added, so treat an
     *     unknown kind as informational
     * @param state the automaton's state after the entry
     * @param replicas the desired replicas in force after the entry
     * @param routing the gateway routing in force after the entry
     * @param message the reason, in words
     */
    record Journalled(Instant at, TargetRef target, String kind, String state, int replicas, Routing routing, String message)
            implements EngineEvent {
        public Journalled {
            requireNonNull(at, "at is null");
            requireNonNull(target, "target is null");
            requireNonNull(kind, "kind is null");
            requireNonNull(state, "state is null");
            requireNonNull(routing, "routing is null");
            requireNonNull(message, "message is null");
        }

        /**
         * True for kinds an operator should look at (a safety hold, a failed call, a crash loop, an
         * alert, failed requests, unreadable state): a Kubernetes Event of type Warning.
         */
        public boolean warning() {
            return switch (kind) {
                case "SAFETY", "ALERT", "FAILED_HELD", "ACTUATION_FAILED", "START_FAILURES", "HISTORY", "STATE" -> true;
                default -> false;
            };
        }
    }

    /**
     * A target's automaton moved to another state or changed what it asks for (replicas,
     * routing, resource profile), after the engine's safety rules: what is applied. Only the leader
     * writes it to the backend (see {@link io.zeroscale.spi.Leadership}); {@code leader} says
     * whether this daemon is the one.
     *
     * @param at when, from the engine's clock
     * @param target which target
     * @param from the automaton's state before
     * @param to the automaton's state after (equal to {@code from} when only the decision changed)
     * @param decision the decision in force now
     * @param leader whether this daemon leads (and so applies it)
     */
    record Decided(Instant at, TargetRef target, String from, String to, Decision decision, boolean leader) implements EngineEvent {
        public Decided {
            requireNonNull(at, "at is null");
            requireNonNull(target, "target is null");
            requireNonNull(from, "from is null");
            requireNonNull(to, "to is null");
            requireNonNull(decision, "decision is null");
        }
    }
}
