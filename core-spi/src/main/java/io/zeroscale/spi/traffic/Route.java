package io.zeroscale.spi.traffic;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.orchestrator.Endpoint;
import java.util.List;

/**
 * The engine's instruction to the gateway for one target.
 *
 * @param routing how to treat new requests
 * @param endpoints ready endpoints new requests may go to; the gateway never forwards anywhere else
 * @param draining endpoints to drain: no new requests, report them drained once idle
 */
public record Route(Routing routing, List<Endpoint> endpoints, List<Endpoint> draining) {
    public Route {
        requireNonNull(routing, "routing is null");
        endpoints = List.copyOf(requireNonNull(endpoints, "endpoints is null"));
        draining = List.copyOf(requireNonNull(draining, "draining is null"));
    }

    /** Hold everything: nothing is ready. */
    public static Route hold() {
        return new Route(Routing.HOLD, List.of(), List.of());
    }
}
