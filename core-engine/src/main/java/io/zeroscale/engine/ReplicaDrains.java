package io.zeroscale.engine;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The replicas of one target that are on their way out while the others keep serving: the ones the
 * engine chose for a scale-down from N to M &gt; 0, and the ones the backend announced it will
 * remove ({@link io.zeroscale.spi.orchestrator.WorkloadEvent.Removing}). Each goes through
 * draining (the gateway sends it nothing new and reports it drained once its in-flight requests
 * finished, or after its {@code drain-timeout}), then removing (the orchestrator was told to
 * remove it), until an observation no longer lists it. In none of these steps does it get a new
 * request: the route lists it as draining, never as an endpoint.
 *
 * <p>The rule for choosing: keep the oldest ready replicas, drain the newest (the end of {@link
 * ObservedState#readyEndpoints}, which lists the oldest first). The oldest have the warmest caches
 * and connections, and the newest are the ones a surge just added. Replicas still starting serve
 * nothing, so they need no drain: the scale that follows the removal takes them.
 *
 * <p>Confined to the target's actor, like the rest of its state.
 */
final class ReplicaDrains {
    /** Chosen by the engine and waiting for the gateway; removed together, then scaled to {@link #chosenTarget}. */
    private final Set<Endpoint> chosen = new LinkedHashSet<>();
    /** Announced by the backend and waiting for the gateway. */
    private final Set<Endpoint> announced = new LinkedHashSet<>();
    /** Drained; the orchestrator was (or is being) told to remove them. */
    private final Set<Endpoint> removing = new LinkedHashSet<>();
    /** The chosen ones the gateway reported drained so far (it reports one drain group at a time). */
    private final Set<Endpoint> chosenDrained = new LinkedHashSet<>();
    private int chosenTarget = -1;

    /**
     * The endpoints to drain to go down to {@code target} replicas: the newest ready ones beyond
     * the {@code target} oldest. Empty when no ready replica has to go (the ones to remove are still
     * starting).
     */
    static List<Endpoint> pick(ObservedState observed, int target) {
        List<Endpoint> ready = observed.readyEndpoints();
        if (ready.size() <= target) {
            return List.of();
        }
        return List.copyOf(ready.subList(target, ready.size()));
    }

    /** Starts draining {@code endpoints} for a scale-down to {@code target}; replaces a chosen drain not yet done. */
    void choose(List<Endpoint> endpoints, int target) {
        chosenDrained.retainAll(endpoints);
        chosen.clear();
        chosen.addAll(endpoints);
        chosenTarget = target;
    }

    /** A chosen drain is waiting for the gateway. */
    boolean choosing() {
        return !chosen.isEmpty();
    }

    /** The replica count the chosen drain goes down to; -1 when none. */
    int chosenTarget() {
        return chosen.isEmpty() ? -1 : chosenTarget;
    }

    /** Gives the chosen replicas back to the route (a newer decision wants them after all). */
    void cancelChosen() {
        chosen.clear();
        chosenDrained.clear();
        chosenTarget = -1;
    }

    /** The backend announced it will remove {@code endpoints}; the ones already leaving are kept as they are. */
    void announce(List<Endpoint> endpoints) {
        for (Endpoint endpoint : endpoints) {
            if (!chosen.contains(endpoint) && !removing.contains(endpoint)) {
                announced.add(endpoint);
            }
        }
    }

    /**
     * The gateway reported {@code endpoints} drained. Returns what to do now: the chosen replicas
     * to remove (once all of them drained) and the announced ones to release, each moved to
     * removing; {@code unclaimed} are endpoints this did not drain (a drain to zero's).
     */
    Drained drained(List<Endpoint> endpoints) {
        List<Endpoint> unclaimed = new ArrayList<>();
        List<Endpoint> releasedAnnounced = new ArrayList<>();
        boolean touchedChosen = false;
        Set<Endpoint> drainedChosen = new LinkedHashSet<>();
        for (Endpoint endpoint : endpoints) {
            if (chosen.contains(endpoint)) {
                drainedChosen.add(endpoint);
                touchedChosen = true;
            } else if (announced.remove(endpoint)) {
                removing.add(endpoint);
                releasedAnnounced.add(endpoint);
            } else if (!removing.contains(endpoint)) {
                unclaimed.add(endpoint);
            }
        }
        List<Endpoint> removeChosen = List.of();
        int target = -1;
        if (touchedChosen) {
            chosenDrained.addAll(drainedChosen);
            if (chosenDrained.containsAll(chosen)) {
                removeChosen = List.copyOf(chosen);
                removing.addAll(chosen);
                target = chosenTarget;
                chosen.clear();
                chosenDrained.clear();
                chosenTarget = -1;
            }
        }
        return new Drained(removeChosen, target, releasedAnnounced, unclaimed);
    }

    /**
     * What a drain report means.
     *
     * @param removeChosen the chosen replicas, all drained now: remove them, then scale to {@code target}
     * @param target the replica count the chosen drain goes down to, -1 when {@code removeChosen} is empty
     * @param releaseAnnounced announced replicas now drained: the backend may remove them
     * @param unclaimed endpoints this was not draining, for the automaton
     */
    record Drained(List<Endpoint> removeChosen, int target, List<Endpoint> releaseAnnounced, List<Endpoint> unclaimed) {}

    /** Forgets replicas the observation no longer lists as ready: they are gone (or at least not serving). */
    void observed(ObservedState state) {
        Set<Endpoint> ready = Set.copyOf(state.readyEndpoints());
        removing.retainAll(ready);
        announced.retainAll(ready);
        chosenDrained.retainAll(ready);
        if (chosen.retainAll(ready) && chosen.isEmpty()) {
            chosenTarget = -1;
        }
    }

    /** True when some replica is chosen, announced or being removed: its route needs it moved to draining. */
    boolean anyLeaving() {
        return !chosen.isEmpty() || !announced.isEmpty() || !removing.isEmpty();
    }

    /** Everything leaving: what the route must never send a new request to. */
    Set<Endpoint> leaving() {
        Set<Endpoint> out = new LinkedHashSet<>(chosen);
        out.addAll(announced);
        out.addAll(removing);
        return out;
    }

    /**
     * The route for {@code routing} given what is observed ready, with the leaving replicas moved
     * from the endpoints to the draining list (see {@link SafetyRules#route}); {@code refusal}
     * (crash-loop backoff) answers requests only while no endpoint is left to serve them.
     */
    Route route(Routing routing, ObservedState observed, Route.@Nullable Refusal refusal) {
        Route base = SafetyRules.route(routing, observed, refusal);
        if (!anyLeaving() || routing != Routing.FORWARD) {
            return base;
        }
        Set<Endpoint> leaving = leaving();
        List<Endpoint> endpoints = new ArrayList<>();
        List<Endpoint> draining = new ArrayList<>();
        for (Endpoint endpoint : base.endpoints()) {
            (leaving.contains(endpoint) ? draining : endpoints).add(endpoint);
        }
        Route route = new Route(Routing.FORWARD, endpoints, draining);
        return endpoints.isEmpty() && refusal != null ? route.withRefusal(refusal) : route;
    }
}
