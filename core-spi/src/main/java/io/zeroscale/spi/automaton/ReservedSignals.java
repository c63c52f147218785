package io.zeroscale.spi.automaton;

import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Instant;
import java.util.Set;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The signal names every target has without configuring them: the engine serves them from the
 * gateway's counters for the target (see {@link TargetContext#signal(String)} and {@link
 * TargetContext#requests()}). A policy may not define a signal with one of these names. Constants
 * only; safe from any thread.
 */
public final class ReservedSignals {
    /** Requests forwarded to a replica and not answered yet. */
    public static final String INFLIGHT = "inflight";

    /** Requests held by the gateway while the target has no ready replica. */
    public static final String HELD = "held";

    /** Requests arriving per second, over the engine's recent window. */
    public static final String ARRIVAL_RATE = "arrival-rate";

    /** All reserved names. */
    public static final Set<String> ALL = Set.of(INFLIGHT, HELD, ARRIVAL_RATE);

    private ReservedSignals() {}

    /**
     * What {@link TargetContext#signal(String)} answers for a name no configured signal answers:
     * {@code inflight} and {@code held} from {@code requests} (unknown, with {@code
     * requestsUnknown} as the reason, while some gateway's counts are not known), {@code
     * arrival-rate} from {@code arrivalRate} (read only for that name), and unknown for any other
     * name. The engine and testkit's {@code TestTargetContext} both answer through this, so a policy
     * reads the reserved names in its unit tests exactly as it will in the engine.
     */
    public static SignalValue valueOf(String signal, RequestStats requests, DoubleSupplier arrivalRate,
            @Nullable String requestsUnknown, Instant now) {
        return switch (signal) {
            // A silent gateway's requests are unknown: a sum without them is not a value.
            case INFLIGHT -> requestsUnknown != null ? SignalValue.unknown(requestsUnknown, now)
                    : SignalValue.known(requests.inFlight(), now);
            case HELD -> requestsUnknown != null ? SignalValue.unknown(requestsUnknown, now)
                    : SignalValue.known(requests.held(), now);
            case ARRIVAL_RATE -> SignalValue.known(arrivalRate.getAsDouble(), now);
            default -> SignalValue.unknown("no signal named '" + signal + "'", now);
        };
    }
}
