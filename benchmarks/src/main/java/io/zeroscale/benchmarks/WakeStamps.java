package io.zeroscale.benchmarks;

import static java.util.Objects.requireNonNull;

import io.zeroscale.engine.Engine;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.spi.traffic.TrafficHub;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * Wall-clock stamps of a wake's steps, taken at the seams between the gateway, the engine and the
 * orchestrator without changing any of them: a {@link TrafficHub} in front of the engine's (the
 * gateway reports and receives routes through it) and a decision listener on the engine.
 *
 * <ul>
 *   <li>{@code held}: the gateway reported a held request for the target (the request arrived and
 *       found no endpoint);
 *   <li>{@code callBegan} / {@code callReturned}: the orchestrator call the wake waits on ({@code
 *       resume}, {@code scale} or {@code wakeIfZero}) began and returned, where the orchestrator is
 *       behind {@link StampedOrchestrators} (the first such call after {@link #arm});
 *   <li>{@code observedReady}: the orchestrator's own instant of the first observation with a
 *       ready replica ({@link io.zeroscale.spi.orchestrator.ObservedState#observedAt()}: the probe
 *       that passed);
 *   <li>{@code routed}: a route with endpoints reached the gateway (the target's actor publishes it
 *       while it applies the decision on that observation);
 *   <li>{@code released}: the gateway's {@code onRoute} returned: held requests were assigned and
 *       handed to their event loops to connect.
 * </ul>
 *
 * <p>{@link #arm} before each wake; stamps of an unarmed target are not taken. The instants are
 * {@link Clock#systemUTC()}'s (microseconds on Linux), comparable with other processes' wall clocks
 * on the same machine.
 */
final class WakeStamps implements TrafficHub {
    private final TrafficHub hub;
    private final Clock clock = Clock.systemUTC();
    private final ConcurrentMap<TargetRef, Wake> wakes = new ConcurrentHashMap<>();

    /** One wake's stamps; null until seen. */
    static final class Wake {
        volatile @Nullable Instant held;
        volatile @Nullable String call;
        volatile @Nullable Instant callBegan;
        volatile @Nullable Instant callReturned;
        volatile @Nullable Instant observedReady;
        volatile @Nullable Instant routed;
        volatile @Nullable Instant released;
    }

    private WakeStamps(TrafficHub hub) {
        this.hub = requireNonNull(hub, "hub is null");
    }

    /** Stamps {@code engine}'s decisions and the traffic through {@code hub} (the engine's). */
    static WakeStamps on(Engine engine, TrafficHub hub) {
        WakeStamps stamps = new WakeStamps(hub);
        engine.subscribeDecisions(stamps::decided);
        return stamps;
    }

    /** As {@link #on(Engine, TrafficHub)}, also taking the orchestrator calls {@code calls} hears of. */
    static WakeStamps on(Engine engine, TrafficHub hub, Calls calls) {
        WakeStamps stamps = on(engine, hub);
        calls.stamps = stamps;
        return stamps;
    }

    /**
     * Where {@link StampedOrchestrators} reports calls: made before the engine (the plugin is given
     * to its builder), connected to the stamps once they exist.
     */
    static final class Calls {
        private volatile @Nullable WakeStamps stamps;

        void began(TargetRef target, String call) {
            WakeStamps s = stamps;
            if (s == null) {
                return;
            }
            Wake wake = s.wakes.get(target);
            if (wake != null && wake.callBegan == null) {
                wake.call = call;
                wake.callBegan = s.clock.instant();
            }
        }

        void returned(TargetRef target) {
            WakeStamps s = stamps;
            if (s == null) {
                return;
            }
            Wake wake = s.wakes.get(target);
            if (wake != null && wake.callBegan != null && wake.callReturned == null) {
                wake.callReturned = s.clock.instant();
            }
        }
    }

    /** Starts a new set of stamps for {@code target}'s next wake. */
    void arm(TargetRef target) {
        wakes.put(target, new Wake());
    }

    /** The stamps of {@code target}'s current wake (empty if it was never armed). */
    Wake of(TargetRef target) {
        Wake wake = wakes.get(target);
        return wake != null ? wake : new Wake();
    }

    /** Epoch microseconds of {@code at}, or null. */
    static @Nullable Long micros(@Nullable Instant at) {
        return at == null ? null : ChronoUnit.MICROS.between(Instant.EPOCH, at);
    }

    /** {@code to - from} in milliseconds to the microsecond, or null when either is unknown. */
    static @Nullable Double between(@Nullable Instant from, @Nullable Instant to) {
        if (from == null || to == null) {
            return null;
        }
        return ChronoUnit.MICROS.between(from, to) / 1000.0;
    }

    private void decided(TargetRef target, Event event, io.zeroscale.spi.automaton.Decision decision) {
        Wake wake = wakes.get(target);
        if (wake != null && wake.observedReady == null && event instanceof Event.ObservedChanged changed
                && changed.observed().readyReplicas() > 0) {
            wake.observedReady = changed.observed().observedAt();
        }
    }

    @Override
    public void report(String gateway, TargetRef target, RequestStats stats) {
        Wake wake = wakes.get(target);
        if (wake != null && wake.held == null && stats.held() > 0) {
            wake.held = clock.instant();
        }
        hub.report(gateway, target, stats);
    }

    @Override
    public void drained(String gateway, TargetRef target, List<Endpoint> endpoints) {
        hub.drained(gateway, target, endpoints);
    }

    @Override
    public void drained(String gateway, TargetRef target, long drain, List<Endpoint> endpoints) {
        hub.drained(gateway, target, drain, endpoints);
    }

    @Override
    public void endpointRefused(String gateway, TargetRef target, Endpoint endpoint, String reason) {
        hub.endpointRefused(gateway, target, endpoint, reason);
    }

    @Override
    public void heartbeat(String gateway) {
        hub.heartbeat(gateway);
    }

    @Override
    public void left(String gateway) {
        hub.left(gateway);
    }

    @Override
    public Subscription subscribe(RouteListener listener) {
        return hub.subscribe(new RouteListener() {
            @Override
            public void onRoute(TargetRef target, Route route) {
                Wake wake = wakes.get(target);
                Wake first = wake != null && wake.routed == null && route.routing() != Routing.HOLD
                        && !route.endpoints().isEmpty() ? wake : null;
                if (first != null) {
                    first.routed = clock.instant();
                }
                listener.onRoute(target, route);
                if (first != null) {
                    first.released = clock.instant();
                }
            }

            @Override
            public void onFailHeld(TargetRef target, int status, String reason) {
                listener.onFailHeld(target, status, reason);
            }

            @Override
            public void onRemoved(TargetRef target, String reason) {
                listener.onRemoved(target, reason);
            }
        });
    }
}
