package io.zeroscale.spi.traffic;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.orchestrator.Endpoint;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The engine's instruction to the gateway for one target.
 *
 * @param routing how to treat new requests
 * @param endpoints ready endpoints new requests may go to; the gateway never forwards anywhere else
 * @param draining endpoints to drain: no new requests, report them drained once idle
 * @param refusal when set and no endpoint is ready: answer held and new requests at once with 503,
 *     {@code Retry-After} and the refusal's reason instead of holding them (the engine gave up on
 *     a wake and backs restarts off); null to hold as usual
 * @param drain the id of the newest drain this route started: it grows each time an endpoint is
 *     added to {@code draining} (never for an endpoint that stays there), and the gateway reports
 *     a drain with the id of the route that started it ({@link TrafficHub#drained(String,
 *     io.zeroscale.spi.TargetRef, long, List)}), so a late report of a drain the engine cancelled
 *     cannot end a newer drain of the same endpoint; 0 when unknown
 */
public record Route(Routing routing, List<Endpoint> endpoints, List<Endpoint> draining, @Nullable Refusal refusal, long drain) {
    public Route {
        requireNonNull(routing, "routing is null");
        endpoints = List.copyOf(requireNonNull(endpoints, "endpoints is null"));
        draining = List.copyOf(requireNonNull(draining, "draining is null"));
    }

    /** A route that refuses nothing, with no drain id. */
    public Route(Routing routing, List<Endpoint> endpoints, List<Endpoint> draining) {
        this(routing, endpoints, draining, null, 0);
    }

    /** A route with no drain id. */
    public Route(Routing routing, List<Endpoint> endpoints, List<Endpoint> draining, @Nullable Refusal refusal) {
        this(routing, endpoints, draining, refusal, 0);
    }

    /** This route, answering requests that find no ready endpoint with {@code refusal}. */
    public Route withRefusal(@Nullable Refusal refusal) {
        return new Route(routing, endpoints, draining, refusal, drain);
    }

    /** This route with the drain id {@code drain}. */
    public Route withDrain(long drain) {
        return new Route(routing, endpoints, draining, refusal, drain);
    }

    /**
     * Why requests are answered at once instead of held, and until when.
     *
     * @param reason one line naming the target and what went wrong, sent as the 503's body
     * @param retryAt when the engine tries again; the gateway sends the seconds until then (at
     *     least 1) as {@code Retry-After} and holds requests again from then on, even before the
     *     engine publishes the next route
     */
    public record Refusal(String reason, Instant retryAt) {
        public Refusal {
            requireNonNull(reason, "reason is null");
            requireNonNull(retryAt, "retryAt is null");
        }
    }

    /** Hold everything: nothing is ready. */
    public static Route hold() {
        return new Route(Routing.HOLD, List.of(), List.of());
    }
}
