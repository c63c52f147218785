package io.zeroscale.engine;

import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import java.time.InstantSource;
import org.jspecify.annotations.Nullable;

/**
 * A target's route to the gateways: made from the decision last applied, the observed endpoints,
 * the replicas leaving and a crash-loop refusal, and passed on only when it differs from the last
 * one published. Most decisions change no route, so the same plain inputs (no refusal, no replica
 * leaving, no drain withheld) build no route at all. A route that starts draining an endpoint gets
 * a new drain id, so a late report of an earlier (cancelled) drain of the same endpoint cannot end
 * it; the gateways' reports learn the id before the route goes out. Ids are taken from the clock
 * when that is larger, so they keep growing across restarts and changes of leader. Confined to the
 * target's actor (the published route is read elsewhere).
 */
final class RoutePublisher {
    /** Where the route comes from and goes to; called on the actor. */
    interface Target {
        /** The routing of the decision last applied, or null before the first decision. */
        @Nullable Routing appliedRouting();

        /** Why the gateway refuses requests now (a crash-loop backoff), or null. */
        Route.@Nullable Refusal refusal(Instant now);

        /** True when more than {@code routing} and the observed endpoints make the route: replicas leave, or a drain is withheld. */
        boolean routeShaped(Routing routing);

        /** The route for {@code routing} as the workload stands, refusing requests when {@code refusal} is set. */
        Route routeFor(Routing routing, Route.@Nullable Refusal refusal);

        /** Hands a route that changed to the gateways. */
        void routePublished(Route route);
    }

    private final TargetView view;
    private final TrafficReports reports;
    private final InstantSource clock;
    private final Target target;
    private volatile @Nullable Route published;
    /** The id of the newest drain started ({@link Route#drain()}). */
    private long drainId;
    /**
     * The inputs the published route was last made from when they alone made it (no refusal, no
     * replica leaving), or null: the same inputs make the same route, so nothing is built.
     */
    private @Nullable Routing plainRouting;
    private @Nullable ObservedState plainObserved;

    /** @param reports the gateways' reports, told which endpoints drain under which id */
    RoutePublisher(TargetView view, TrafficReports reports, InstantSource clock, Target target) {
        this.view = view;
        this.reports = reports;
        this.clock = clock;
        this.target = target;
    }

    /** Publishes the route as it stands now, if it changed; nothing before the first decision. */
    void publish() {
        Routing routing = target.appliedRouting();
        if (routing == null) {
            return;
        }
        Instant now = clock.instant();
        Route.@Nullable Refusal refusal = target.refusal(now);
        ObservedState observed = view.observed();
        boolean plain = refusal == null && !target.routeShaped(routing);
        if (plain && publishedFor(routing, observed)) {
            return; // the same inputs as the published route: most decisions change no route
        }
        Route route = next(target.routeFor(routing, refusal), now);
        plainRouting = plain ? routing : null;
        plainObserved = plain ? observed : null;
        if (route != null) {
            reports.draining(route.draining(), route.drain());
            target.routePublished(route);
        }
    }

    /** The route last published, or null before the first decision; any thread. */
    @Nullable Route published() {
        return published;
    }

    /**
     * True when the plain route for {@code routing} and {@code observed} (the same observation
     * object) is the one already published: a decision that changes neither builds no route.
     */
    @SuppressWarnings("ReferenceEquality") // the same observation object: comparing its endpoints is the cost saved
    private boolean publishedFor(Routing routing, ObservedState observed) {
        return published != null && routing == plainRouting && observed == plainObserved;
    }

    /** The route to publish for {@code route}, with its drain id; null when it is the one already published. */
    private @Nullable Route next(Route route, Instant now) {
        Route before = published;
        boolean drainStarts = before == null
                ? !route.draining().isEmpty()
                : !before.draining().containsAll(route.draining());
        if (drainStarts) {
            drainId = Math.max(drainId + 1, now.toEpochMilli());
        }
        Route next = route.withDrain(drainId);
        if (next.equals(before)) {
            return null;
        }
        published = next;
        return next;
    }
}
