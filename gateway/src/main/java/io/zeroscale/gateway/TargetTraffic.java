package io.zeroscale.gateway;

import static java.util.Objects.requireNonNull;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.spi.traffic.TrafficHub;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the gateway knows about one target: its route, the load on each endpoint, the hold
 * queue, drains in progress and the request counters. Requests of one target arrive on every event
 * loop, so the state is guarded by this object's monitor; critical sections only move counters and
 * queue entries. Calls out (to the hub, to exchanges on their loops) happen after the lock is
 * released, so a hub that answers synchronously cannot deadlock or see half-updated state.
 */
final class TargetTraffic {
    private static final Logger log = LoggerFactory.getLogger(TargetTraffic.class);

    /** What happened to a request offered to the target. */
    enum Outcome {
        /** Assigned to an endpoint: connect to it. */
        FORWARD,
        /** No endpoint ready: queued until a route makes one ready. */
        HELD,
        /** No endpoint ready and the hold queue is full. */
        FULL,
        /** The gateway is shutting down. */
        CLOSED,
        /** No endpoint ready and the engine refuses requests for now (a crash loop): answer 503 at once. */
        REFUSED,
        /** The exchange already finished (e.g. its client went away meanwhile). */
        GONE
    }

    record Admission(Outcome outcome, @Nullable Endpoint endpoint, Route.@Nullable Refusal refusal) {
        Admission(Outcome outcome, @Nullable Endpoint endpoint) {
            this(outcome, endpoint, null);
        }

        static final Admission HELD = new Admission(Outcome.HELD, null);
        static final Admission FULL = new Admission(Outcome.FULL, null);
        static final Admission CLOSED = new Admission(Outcome.CLOSED, null);
        static final Admission GONE = new Admission(Outcome.GONE, null);
    }

    private static final class Load {
        int inFlight;
    }

    /**
     * Endpoints the engine asked to drain together; reported drained together, with the id of the
     * route that started the drain ({@link Route#drain()}), so the engine can tell a late report of
     * a cancelled drain from one of the drain it runs now.
     */
    private static final class DrainGroup {
        final Set<Endpoint> endpoints = new LinkedHashSet<>();
        final long drain;
        @Nullable ScheduledFuture<?> timeout;

        DrainGroup(long drain) {
            this.drain = drain;
        }
    }

    /** A drain that is over: its id and its endpoints. */
    private record Finished(long drain, List<Endpoint> endpoints) {}

    private final TargetRef target;
    private volatile GatewayConfig config;
    private final TrafficHub hub;
    /** This gateway's id, which every call to the hub carries. */
    private final String gateway;
    private final InstantSource clock;
    private final EventLoopGroup timers;
    private final Consumer<Set<Endpoint>> closeIdleConnections;

    // Guarded by this.
    private Routing routing = Routing.HOLD;
    private Route.@Nullable Refusal refusal;
    private List<Endpoint> ready = List.of();
    private Endpoint[] eligible = new Endpoint[0];
    private final Set<Endpoint> refused = new HashSet<>();
    /** Refusals in a row per endpoint since the last route; sets the backoff before trying it again. */
    private final Map<Endpoint, Integer> refusalStreak = new HashMap<>();
    private final Map<Endpoint, Load> load = new HashMap<>();
    private final ArrayDeque<Exchange> held = new ArrayDeque<>();
    private final Map<Endpoint, DrainGroup> draining = new HashMap<>();
    private final Set<Endpoint> drainedReported = new HashSet<>();
    private int inFlight;
    private long arrivals;
    /** Requests refused because the hold queue was full (for the engine's overflow alert). */
    private long overflowed;
    private long completed;
    private double latencySecondsSum;
    private int roundRobin;
    private boolean closed;
    /** Why the hub removed this target, or null while it has not. */
    private volatile @Nullable String removedReason;

    private final AtomicInteger reportsPending = new AtomicInteger();
    private @Nullable RequestStats lastReported;

    TargetTraffic(
            TargetRef target,
            GatewayConfig config,
            TrafficHub hub,
            String gateway,
            InstantSource clock,
            EventLoopGroup timers,
            Consumer<Set<Endpoint>> closeIdleConnections) {
        this.target = requireNonNull(target, "target is null");
        this.config = requireNonNull(config, "config is null");
        this.hub = requireNonNull(hub, "hub is null");
        this.gateway = requireNonNull(gateway, "gateway is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.timers = requireNonNull(timers, "timers is null");
        this.closeIdleConnections = requireNonNull(closeIdleConnections, "closeIdleConnections is null");
    }

    TargetRef target() {
        return target;
    }

    GatewayConfig config() {
        return config;
    }

    InstantSource clock() {
        return clock;
    }

    /**
     * A new request for this target: forward it, hold it, or refuse it because the queue is full.
     * The counters go to the hub at the end of {@code turn}.
     */
    Admission admit(Exchange exchange, LoopTurn turn) {
        Admission admission;
        synchronized (this) {
            arrivals++;
            if (closed) {
                admission = Admission.CLOSED;
            } else {
                Endpoint endpoint = pick();
                if (endpoint != null) {
                    assign(exchange, endpoint);
                    admission = new Admission(Outcome.FORWARD, endpoint);
                } else if (refusing()) {
                    admission = new Admission(Outcome.REFUSED, null, refusal);
                } else if (held.size() < config.maxHeld()) {
                    exchange.queued = true;
                    held.addLast(exchange);
                    admission = Admission.HELD;
                } else {
                    overflowed++;
                    admission = Admission.FULL;
                }
            }
        }
        turn.report(this);
        return admission;
    }

    /** The first wait before a refused endpoint is tried again; doubles per refusal in a row. */
    static final long RETRY_BACKOFF_MIN_MILLIS = 100;
    /** The longest wait: held requests go out within this long of the endpoint accepting again. */
    static final long RETRY_BACKOFF_MAX_MILLIS = 1_000;

    /**
     * Connecting to {@code endpoint} was refused (or it closed before answering) while the request
     * can still be sent again: stop using the endpoint for a short backoff, and give the request to
     * another ready endpoint or hold it. Holding it raises {@code held}, which makes the engine look
     * again and wake the target if it was stopped behind our back. After the backoff the endpoint
     * is tried again with the held requests (a full listen backlog or a slow accept is not a dead
     * endpoint); a route from the engine also makes it usable at once.
     */
    Admission refused(Exchange exchange, Endpoint endpoint, String reason) {
        Admission admission;
        boolean newlyRefused = false;
        long backoff = 0;
        List<Finished> drainedNow;
        synchronized (this) {
            if (exchange.finished) {
                return Admission.GONE;
            }
            unassign(exchange);
            if (ready.contains(endpoint) && refused.add(endpoint)) {
                newlyRefused = true;
                int streak = refusalStreak.merge(endpoint, 1, Integer::sum);
                backoff = Math.min(RETRY_BACKOFF_MAX_MILLIS, RETRY_BACKOFF_MIN_MILLIS << Math.min(streak - 1, 10));
                recomputeEligible();
            }
            Endpoint next = closed ? null : pick();
            if (next != null) {
                assign(exchange, next);
                admission = new Admission(Outcome.FORWARD, next);
            } else if (closed) {
                // Nothing answers held requests any more: say so rather than hold it forever.
                admission = Admission.CLOSED;
            } else {
                // Over the bound if need be: this request was admitted already and must not be lost.
                exchange.queued = true;
                held.addLast(exchange);
                admission = Admission.HELD;
            }
            drainedNow = takeFinishedDrains();
        }
        if (newlyRefused) {
            log.warn("Endpoint {} of target {} refused a request ({}); trying it again in {}ms, meanwhile requests go"
                    + " to other ready endpoints or are held", endpoint, target, reason, backoff);
            scheduleRetry(endpoint, backoff);
        }
        // The rise in held first, then the refusal: the engine learns there is demand before it looks again.
        report();
        reportDrained(drainedNow, false);
        try {
            hub.endpointRefused(gateway, target, endpoint, reason);
        } catch (RuntimeException e) {
            log.error("Traffic hub failed to take the refusal of endpoint {} of target {}", endpoint, target, e);
        }
        return admission;
    }

    private void scheduleRetry(Endpoint endpoint, long delayMillis) {
        try {
            timers.next().schedule(() -> retryRefused(endpoint), delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The gateway is shutting down; nothing will be forwarded any more.
        }
    }

    /** The backoff after a refusal is over: use the endpoint again, starting with the held requests. */
    private void retryRefused(Endpoint endpoint) {
        List<Exchange> dispatched = new ArrayList<>();
        List<Endpoint> dispatchedTo = new ArrayList<>();
        synchronized (this) {
            if (closed || !refused.remove(endpoint)) {
                return;
            }
            recomputeEligible();
            dispatchHeld(dispatched, dispatchedTo);
        }
        for (int i = 0; i < dispatched.size(); i++) {
            dispatched.get(i).dispatch(dispatchedTo.get(i));
        }
        report();
    }

    /** Assigns held requests to eligible endpoints while there are both. Holds the monitor. */
    private void dispatchHeld(List<Exchange> dispatched, List<Endpoint> dispatchedTo) {
        while (!held.isEmpty()) {
            Endpoint endpoint = pick();
            if (endpoint == null) {
                break;
            }
            Exchange exchange = held.pollFirst();
            exchange.queued = false;
            assign(exchange, endpoint);
            dispatched.add(exchange);
            dispatchedTo.add(endpoint);
        }
    }

    /** Tells the engine that {@code endpoint} dropped a request we could not send again. */
    void reportRefusal(Endpoint endpoint, String reason) {
        log.warn("Endpoint {} of target {} closed a connection before answering ({}); the request could not be"
                + " sent again and got 502", endpoint, target, reason);
        try {
            hub.endpointRefused(gateway, target, endpoint, reason);
        } catch (RuntimeException e) {
            log.error("Traffic hub failed to take the refusal of endpoint {} of target {}", endpoint, target, e);
        }
    }

    /** Takes {@code exchange} out of the hold queue; false when it was not there (dispatched or failed). */
    boolean unhold(Exchange exchange) {
        boolean removed;
        synchronized (this) {
            removed = exchange.queued && held.remove(exchange);
            exchange.queued = false;
        }
        if (removed) {
            report();
        }
        return removed;
    }

    /**
     * The request ended, however it ended; counts it and frees its endpoint. Idempotent. The
     * counters go to the hub at the end of {@code turn}.
     */
    void finish(Exchange exchange, LoopTurn turn) {
        double latency = seconds(Duration.between(exchange.arrival, clock.instant()));
        List<Finished> drainedNow;
        synchronized (this) {
            if (exchange.finished) {
                return;
            }
            exchange.finished = true;
            if (exchange.queued) {
                held.remove(exchange);
                exchange.queued = false;
            }
            unassign(exchange);
            completed++;
            latencySecondsSum += Math.max(0, latency);
            drainedNow = takeFinishedDrains();
        }
        reportDrained(drainedNow, false);
        turn.report(this);
    }

    /** The engine's new instruction: update the endpoints, start drains, and release held requests. */
    void onRoute(Route route) {
        List<Exchange> dispatched = new ArrayList<>();
        List<Endpoint> dispatchedTo = new ArrayList<>();
        List<Finished> drainedNow;
        Set<Endpoint> unused = new HashSet<>();
        List<Exchange> refusedHeld = List.of();
        Route.Refusal refusedWith = route.refusal();
        synchronized (this) {
            Set<Endpoint> previouslyKnown = new HashSet<>(ready);
            previouslyKnown.addAll(draining.keySet());
            routing = route.routing();
            refusal = route.refusal();
            Set<Endpoint> toDrain = new LinkedHashSet<>(route.draining());
            drainedReported.retainAll(toDrain);
            // An endpoint the engine lists as ready again is no longer being drained.
            for (Endpoint endpoint : route.endpoints()) {
                if (!toDrain.contains(endpoint)) {
                    cancelDrain(endpoint);
                }
            }
            DrainGroup group = new DrainGroup(route.drain());
            for (Endpoint endpoint : toDrain) {
                if (!draining.containsKey(endpoint) && !drainedReported.contains(endpoint)) {
                    group.endpoints.add(endpoint);
                    draining.put(endpoint, group);
                }
            }
            if (!group.endpoints.isEmpty()) {
                startDrainTimer(group);
                log.info("Draining {} of target {}: no new requests, waiting up to {} for {} in flight",
                        group.endpoints, target, Durations.format(config.drainTimeout()), inFlightOn(group));
            }
            List<Endpoint> nowReady = new ArrayList<>();
            if (routing != Routing.HOLD) {
                for (Endpoint endpoint : route.endpoints()) {
                    if (!toDrain.contains(endpoint) && !nowReady.contains(endpoint)) {
                        nowReady.add(endpoint);
                    }
                }
            }
            ready = List.copyOf(nowReady);
            // A new route is the engine's answer to a refusal: trust its endpoints again.
            refused.clear();
            refusalStreak.clear();
            recomputeEligible();
            dispatchHeld(dispatched, dispatchedTo);
            if (refusing()) {
                refusedHeld = new ArrayList<>(held);
                refusedHeld.forEach(exchange -> exchange.queued = false);
                held.clear();
            }
            drainedNow = takeFinishedDrains();
            load.entrySet().removeIf(entry -> entry.getValue().inFlight == 0
                    && !ready.contains(entry.getKey()) && !draining.containsKey(entry.getKey()));
            for (Endpoint endpoint : previouslyKnown) {
                if (!ready.contains(endpoint) && !draining.containsKey(endpoint)) {
                    unused.add(endpoint);
                }
            }
        }
        for (int i = 0; i < dispatched.size(); i++) {
            dispatched.get(i).dispatch(dispatchedTo.get(i));
        }
        if (!refusedHeld.isEmpty() && refusedWith != null) {
            log.info("Answering {} held requests of target {} with 503: {}", refusedHeld.size(), target, refusedWith.reason());
            Duration retryAfter = retryAfter(refusedWith);
            for (Exchange exchange : refusedHeld) {
                exchange.fail(503, refusedWith.reason(), retryAfter);
            }
        }
        reportDrained(drainedNow, false);
        report();
        if (!unused.isEmpty()) {
            closeIdleConnections.accept(unused);
        }
    }

    /** The engine gave up on waking: answer every held request with {@code status} and {@code reason}. */
    void failHeld(int status, String reason) {
        List<Exchange> failed;
        synchronized (this) {
            failed = new ArrayList<>(held);
            for (Exchange exchange : failed) {
                exchange.queued = false;
            }
            held.clear();
        }
        if (!failed.isEmpty()) {
            log.info("Answering {} held requests of target {} with {}: {}", failed.size(), target, status, reason);
        }
        for (Exchange exchange : failed) {
            exchange.fail(status, reason);
        }
        report();
    }

    /**
     * True while the engine's refusal is in force: it lasts until its retry instant on the gateway's
     * own clock too, so requests are held (and wake the target) again even if the next route is late.
     */
    private boolean refusing() {
        Route.Refusal current = refusal;
        return current != null && clock.instant().isBefore(current.retryAt());
    }

    /** Whole seconds until the engine tries again, at least 1 (what {@code Retry-After} carries). */
    Duration retryAfter(Route.Refusal refused) {
        Duration left = Duration.between(clock.instant(), refused.retryAt());
        long seconds = Math.max(1, (left.toMillis() + 999) / 1000);
        return Duration.ofSeconds(seconds);
    }

    /**
     * The one-line answer to requests that arrive or are still held while the gateway shuts down,
     * or after the target was removed.
     */
    String shutdownReason() {
        String why = removedReason;
        return (why != null ? why : "zeroscale is shutting down") + "; retry in " + config.retryAfter().toSeconds() + "s";
    }

    /** New settings for this target; requests admitted from now on use them. */
    void reconfigure(GatewayConfig value) {
        config = requireNonNull(value, "config is null");
    }

    /**
     * The hub removed this target: refuse new requests and answer the held ones with 503 and
     * {@code reason}; requests in flight finish, and their counters are no longer reported (the
     * target may be added again, with a new traffic object, under the same reference).
     */
    void remove(String reason) {
        removedReason = requireNonNull(reason, "reason is null");
        close();
        log.info("Target {} was removed: {}", target, reason);
    }

    /** The gateway is closing: refuse new requests and answer the held ones with 503. */
    void close() {
        String reason = shutdownReason();
        List<DrainGroup> groups;
        synchronized (this) {
            closed = true;
            groups = new ArrayList<>(new HashSet<>(draining.values()));
        }
        for (DrainGroup group : groups) {
            ScheduledFuture<?> timeout = group.timeout;
            if (timeout != null) {
                timeout.cancel(false);
            }
        }
        failHeld(503, reason);
    }

    synchronized RequestStats stats() {
        return new RequestStats(held.size(), inFlight, arrivals, completed, latencySecondsSum, overflowed);
    }

    /**
     * Sends the current counters to the hub. Callers on many threads may race; the loop makes sure
     * that only one thread reports at a time and that the last report reflects the last change, so
     * the engine never keeps a stale snapshot (a stale "held 0" would leave a target asleep).
     */
    void report() {
        if (removedReason != null) {
            return; // the target is gone, and a target added again under its reference has its own counters
        }
        if (reportsPending.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            RequestStats stats = stats();
            if (!stats.equals(lastReported)) {
                lastReported = stats;
                try {
                    hub.report(gateway, target, stats);
                } catch (RuntimeException e) {
                    log.error("Traffic hub failed to take the request counters of target {}", target, e);
                }
            }
            missed = reportsPending.addAndGet(-missed);
        } while (missed != 0);
    }

    // --- drains ---

    private void startDrainTimer(DrainGroup group) {
        try {
            group.timeout = timers.next().schedule(() -> drainTimedOut(group),
                    config.drainTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The gateway is shutting down; nothing will be forwarded any more.
            group.timeout = null;
        }
    }

    private void drainTimedOut(DrainGroup group) {
        List<Endpoint> endpoints;
        int stillInFlight;
        synchronized (this) {
            if (group.endpoints.isEmpty() || draining.get(group.endpoints.iterator().next()) != group) {
                return;
            }
            endpoints = List.copyOf(group.endpoints);
            stillInFlight = inFlightOn(group);
            for (Endpoint endpoint : endpoints) {
                draining.remove(endpoint);
                drainedReported.add(endpoint);
            }
            group.endpoints.clear();
        }
        log.warn("Drain of {} of target {} timed out after {} (drain-timeout) with {} requests still in flight;"
                + " reporting them drained anyway", endpoints, target, Durations.format(config.drainTimeout()),
                stillInFlight);
        reportDrained(List.of(new Finished(group.drain, endpoints)), true);
        closeIdleConnections.accept(Set.copyOf(endpoints));
    }

    private void cancelDrain(Endpoint endpoint) {
        DrainGroup group = draining.remove(endpoint);
        if (group == null) {
            return;
        }
        group.endpoints.remove(endpoint);
        if (group.endpoints.isEmpty() && group.timeout != null) {
            group.timeout.cancel(false);
        }
    }

    /** Drain groups whose endpoints have nothing in flight any more, removed from the bookkeeping. */
    private List<Finished> takeFinishedDrains() {
        if (draining.isEmpty()) {
            return List.of();
        }
        List<Finished> out = new ArrayList<>();
        for (DrainGroup group : new HashSet<>(draining.values())) {
            if (!group.endpoints.isEmpty() && inFlightOn(group) == 0) {
                for (Endpoint endpoint : group.endpoints) {
                    draining.remove(endpoint);
                    drainedReported.add(endpoint);
                }
                if (group.timeout != null) {
                    group.timeout.cancel(false);
                }
                out.add(new Finished(group.drain, List.copyOf(group.endpoints)));
                group.endpoints.clear();
            }
        }
        return out;
    }

    private void reportDrained(List<Finished> drains, boolean timedOut) {
        for (Finished finished : drains) {
            List<Endpoint> endpoints = finished.endpoints();
            if (endpoints.isEmpty()) {
                continue;
            }
            if (!timedOut) {
                log.info("Drained {} of target {}: no request in flight", endpoints, target);
                closeIdleConnections.accept(Set.copyOf(endpoints));
            }
            try {
                hub.drained(gateway, target, finished.drain(), endpoints);
            } catch (RuntimeException e) {
                log.error("Traffic hub failed to take the drain of {} of target {}", endpoints, target, e);
            }
        }
    }

    private int inFlightOn(DrainGroup group) {
        int sum = 0;
        for (Endpoint endpoint : group.endpoints) {
            Load l = load.get(endpoint);
            sum += l == null ? 0 : l.inFlight;
        }
        return sum;
    }

    // --- load balancing ---

    private void recomputeEligible() {
        List<Endpoint> out = new ArrayList<>(ready.size());
        for (Endpoint endpoint : ready) {
            if (!refused.contains(endpoint)) {
                out.add(endpoint);
            }
        }
        eligible = out.toArray(new Endpoint[0]);
    }

    private @Nullable Endpoint pick() {
        Endpoint[] candidates = eligible;
        int n = candidates.length;
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            return candidates[0];
        }
        return switch (config.loadBalancing()) {
            case ROUND_ROBIN -> candidates[Math.floorMod(roundRobin++, n)];
            case LEAST_INFLIGHT -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                int first = random.nextInt(n);
                int second = random.nextInt(n - 1);
                if (second >= first) {
                    second++;
                }
                yield inFlightOn(candidates[first]) <= inFlightOn(candidates[second])
                        ? candidates[first]
                        : candidates[second];
            }
        };
    }

    private int inFlightOn(Endpoint endpoint) {
        Load l = load.get(endpoint);
        return l == null ? 0 : l.inFlight;
    }

    private void assign(Exchange exchange, Endpoint endpoint) {
        exchange.endpoint = endpoint;
        load.computeIfAbsent(endpoint, e -> new Load()).inFlight++;
        inFlight++;
    }

    private void unassign(Exchange exchange) {
        Endpoint endpoint = exchange.endpoint;
        if (endpoint == null) {
            return;
        }
        exchange.endpoint = null;
        inFlight--;
        Load l = load.get(endpoint);
        if (l != null && --l.inFlight == 0 && !ready.contains(endpoint) && !draining.containsKey(endpoint)) {
            load.remove(endpoint);
        }
    }

    private static double seconds(Duration duration) {
        return duration.getSeconds() + duration.getNano() / 1e9;
    }
}
