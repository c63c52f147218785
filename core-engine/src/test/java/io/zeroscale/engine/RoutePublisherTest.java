package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Routes built only when their inputs change, passed on only when they change, and drain ids that only grow. */
class RoutePublisherTest {
    private static final Instant T0 = Instant.ofEpochMilli(1_000);
    private static final TrafficSettings SETTINGS = new TrafficSettings(Duration.ofSeconds(15), Duration.ofMinutes(10));
    private static final Endpoint A = new Endpoint("10.0.0.1", 8080);
    private static final Endpoint B = new Endpoint("10.0.0.2", 8080);
    private final VirtualScheduler scheduler = new VirtualScheduler(T0);
    private final TargetView view = new TargetView(TargetRef.of("local", "Process", "app"), Set.of(), scheduler,
            new ActorTimers(scheduler, Runnable::run, name -> {}), () -> 0);
    private final TrafficReports reports = new TrafficReports(SETTINGS, gateway -> null);
    private final List<Route> published = new ArrayList<>();
    private @Nullable Routing routing;
    private Route.@Nullable Refusal refusal;
    private boolean shaped;
    /** What the workload's route is now (its endpoints and those draining), before the drain id. */
    private Route current = route(List.of(A), List.of());
    private int built;
    private final RoutePublisher routes = new RoutePublisher(view, reports, scheduler.clock(), new RoutePublisher.Target() {
        @Override
        public @Nullable Routing appliedRouting() {
            return routing;
        }

        @Override
        public Route.@Nullable Refusal refusal(Instant now) {
            return refusal;
        }

        @Override
        public boolean routeShaped(Routing routing) {
            return shaped;
        }

        @Override
        public Route routeFor(Routing routing, Route.@Nullable Refusal refusal) {
            built++;
            return new Route(routing, current.endpoints(), current.draining(), refusal, 0);
        }

        @Override
        public void routePublished(Route route) {
            published.add(route);
        }
    });

    private static Route route(List<Endpoint> endpoints, List<Endpoint> draining) {
        return new Route(Routing.FORWARD, endpoints, draining, null, 0);
    }

    private Route last() {
        return published.getLast();
    }

    @Test
    void nothingIsPublishedBeforeTheFirstDecision() {
        routes.publish();
        assertThat(published).isEmpty();
        assertThat(routes.published()).isNull();
        assertThat(built).isZero();
    }

    @Test
    void theSameRouteIsPublishedOnceAndTheSamePlainInputsBuildNoRoute() {
        routing = Routing.FORWARD;
        routes.publish();
        assertThat(published).hasSize(1);
        assertThat(last().drain()).as("no drain yet").isZero();
        routes.publish();
        assertThat(built).as("same routing, same observation: not built again").isEqualTo(1);

        view.observed(ObservedState.ready(2, List.of(A, B), T0));
        current = route(List.of(A, B), List.of());
        routes.publish();
        assertThat(published).hasSize(2);
        assertThat(routes.published()).isEqualTo(last());
        assertThat(last().endpoints()).containsExactly(A, B);

        shaped = true; // a replica leaves: the route is built each time, published only when it changed
        routes.publish();
        routes.publish();
        assertThat(built).isEqualTo(4);
        assertThat(published).hasSize(2);
    }

    @Test
    void aRefusalIsPublishedAndItsEndPublishesTheRouteAgain() {
        routing = Routing.HOLD;
        routes.publish();
        refusal = new Route.Refusal("crash loop", T0.plusSeconds(30));
        routes.publish();
        assertThat(last().refusal()).isEqualTo(refusal);

        refusal = null;
        routes.publish();
        assertThat(published).hasSize(3);
        assertThat(last().refusal()).isNull();
    }

    @Test
    void eachDrainThatStartsGetsANewLargerIdAndAShrinkingDrainKeepsIt() {
        routing = Routing.FORWARD;
        shaped = true;
        current = route(List.of(A), List.of(B));
        routes.publish();
        Route drainingB = last();
        assertThat(drainingB.drain()).as("taken from the clock").isEqualTo(T0.toEpochMilli());

        current = route(List.of(), List.of(A, B));
        routes.publish();
        Route drainingBoth = last();
        assertThat(drainingBoth.drain()).as("a new drain on the same clock millisecond still grows")
                .isEqualTo(T0.toEpochMilli() + 1);

        scheduler.advance(Duration.ofSeconds(5));
        current = route(List.of(), List.of(A));
        routes.publish();
        assertThat(last().drain()).as("nothing new drains: the id stays").isEqualTo(drainingBoth.drain());

        current = route(List.of(), List.of(A, B));
        routes.publish();
        assertThat(last().drain()).as("B drains again: a late report of its cancelled drain cannot end this one")
                .isEqualTo(T0.plusSeconds(5).toEpochMilli());
    }

    @Test
    void theGatewaysReportsLearnTheDrainIdBeforeTheRouteGoesOut() {
        reports.report("a", RequestStats.IDLE, T0);
        routing = Routing.FORWARD;
        shaped = true;
        current = route(List.of(A), List.of(B));
        routes.publish();
        long drain = last().drain();

        assertThat(reports.drained("a", List.of(B), drain - 1)).as("a report of an earlier drain is late").isEmpty();
        assertThat(reports.drained("a", List.of(B), drain)).containsExactly(B);
    }
}
