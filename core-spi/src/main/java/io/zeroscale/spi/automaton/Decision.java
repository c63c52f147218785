package io.zeroscale.spi.automaton;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.traffic.Routing;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What an automaton wants for its target after an event. The declarative parts (replicas, routing,
 * paused, profile) are applied idempotently: the engine acts only on what differs from the last
 * applied decision. {@code actions} are carried out every time a decision carrying them is
 * returned, so an automaton returns them once and drops them from the decisions that follow.
 *
 * @param replicas desired replicas; the engine clamps them to the policy's [min, max] and refuses
 *     a scale to zero while any signal is unknown or a request is held or in flight
 * @param routing how the gateway treats new requests
 * @param paused whether the replicas should be frozen (needs {@link
 *     io.zeroscale.spi.orchestrator.Pausable})
 * @param profile resource profile to apply, or null to leave resources alone
 * @param reason why, in words, for the journal
 * @param actions one-shot effects
 */
public record Decision(
        int replicas, Routing routing, boolean paused, @Nullable ResourceProfile profile, String reason, List<Action> actions) {
    public Decision {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
        }
        requireNonNull(routing, "routing is null");
        requireNonNull(reason, "reason is null");
        actions = List.copyOf(requireNonNull(actions, "actions is null"));
    }

    public static Decision of(int replicas, Routing routing, String reason) {
        return new Decision(replicas, routing, false, null, reason, List.of());
    }

    public Decision withActions(Action... more) {
        return new Decision(replicas, routing, paused, profile, reason, List.of(more));
    }

    public Decision withPaused(boolean paused) {
        return new Decision(replicas, routing, paused, profile, reason, actions);
    }

    public Decision withProfile(@Nullable ResourceProfile profile) {
        return new Decision(replicas, routing, paused, profile, reason, actions);
    }

    public Decision withReplicas(int replicas, String reason) {
        return new Decision(replicas, routing, paused, profile, reason, actions);
    }

    /** True when the declarative parts equal {@code other}'s (reason and actions aside). */
    public boolean sameEffect(Decision other) {
        return replicas == other.replicas
                && routing == other.routing
                && paused == other.paused
                && java.util.Objects.equals(profile, other.profile);
    }
}
