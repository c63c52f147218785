package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Routes passed on only when they change, and drain ids that only grow. */
class RoutePublisherTest {
    private static final Instant T0 = Instant.ofEpochMilli(1_000);
    private static final Endpoint A = new Endpoint("10.0.0.1", 8080);
    private static final Endpoint B = new Endpoint("10.0.0.2", 8080);
    private final RoutePublisher routes = new RoutePublisher();

    private static Route route(List<Endpoint> endpoints, List<Endpoint> draining) {
        return new Route(Routing.FORWARD, endpoints, draining, null, 0);
    }

    @Test
    void theSameRouteIsPublishedOnce() {
        Route first = requireNonNull(routes.next(route(List.of(A), List.of()), T0));
        assertThat(first.drain()).as("no drain yet").isZero();
        assertThat(routes.next(route(List.of(A), List.of()), T0.plusSeconds(1))).isNull();
        assertThat(routes.published()).isEqualTo(first);
        assertThat(routes.next(route(List.of(A, B), List.of()), T0)).isNotNull();
    }

    @Test
    void eachDrainThatStartsGetsANewLargerIdAndAShrinkingDrainKeepsIt() {
        Route drainingB = requireNonNull(routes.next(route(List.of(A), List.of(B)), T0));
        assertThat(drainingB.drain()).as("taken from the clock").isEqualTo(T0.toEpochMilli());

        Route drainingBoth = requireNonNull(routes.next(route(List.of(), List.of(A, B)), T0));
        assertThat(drainingBoth.drain()).as("a new drain on the same clock millisecond still grows")
                .isEqualTo(T0.toEpochMilli() + 1);

        Route drainingA = requireNonNull(routes.next(route(List.of(), List.of(A)), T0.plusSeconds(5)));
        assertThat(drainingA.drain()).as("nothing new drains: the id stays").isEqualTo(drainingBoth.drain());

        Route again = requireNonNull(routes.next(route(List.of(), List.of(A, B)), T0.plusSeconds(5)));
        assertThat(again.drain()).as("B drains again: a late report of its cancelled drain cannot end this one")
                .isEqualTo(T0.plusSeconds(5).toEpochMilli());
    }
}
