package io.zeroscale.engine;

import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The route a target's actor last published to the gateways, and the id of its drains. A route
 * is passed on only when it differs from the last one; a route that starts draining an endpoint
 * gets a new drain id, so a late report of an earlier (cancelled) drain of the same endpoint cannot
 * end it. Ids are taken from the clock when that is larger, so they keep growing across restarts
 * and changes of leader. Confined to the target's actor (the published route is read elsewhere).
 */
final class RoutePublisher {
    private volatile @Nullable Route published;
    /** The id of the newest drain started ({@link Route#drain()}). */
    private long drainId;
    /**
     * The inputs the published route was last made from when they alone made it (no refusal, no
     * replica leaving), or null: the same inputs make the same route, so nothing is built.
     */
    private @Nullable Routing plainRouting;
    private @Nullable ObservedState plainObserved;

    /**
     * True when the plain route for {@code routing} and {@code observed} (the same observation
     * object) is the one already published: a decision that changes neither builds no route.
     */
    @SuppressWarnings("ReferenceEquality") // the same observation object: comparing its endpoints is the cost saved
    boolean publishedFor(Routing routing, ObservedState observed) {
        return published != null && routing == plainRouting && observed == plainObserved;
    }

    /**
     * Remembers what the route just offered to {@link #next} was made from: {@code routing} and
     * {@code observed} when they alone made it, or nulls (a refusal or a drain took part).
     */
    void madeFrom(@Nullable Routing routing, @Nullable ObservedState observed) {
        plainRouting = routing;
        plainObserved = observed;
    }

    /**
     * The route to publish for {@code route}, with its drain id; null when it is the one already
     * published.
     */
    @Nullable Route next(Route route, Instant now) {
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

    /** The route last published, or null before the first decision. */
    @Nullable Route published() {
        return published;
    }
}
