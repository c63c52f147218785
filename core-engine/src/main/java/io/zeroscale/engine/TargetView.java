package io.zeroscale.engine;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.ReservedSignals;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.automaton.Timers;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * What the target knows of the world (the newest observation, signal values, the gateway's
 * counters) and the {@link TargetContext} its automaton reads it through. Confined to the target's
 * actor: written by its input handlers, read by the automaton and the safety rules.
 */
final class TargetView implements TargetContext {
    private static final Duration ARRIVAL_WINDOW = Duration.ofMinutes(1);

    private final TargetRef target;
    private final Scheduler scheduler;
    private final Timers timers;
    private final IntSupplier desiredReplicas;
    private final Map<String, SignalValue> signals = new LinkedHashMap<>();
    /** A read-only live view of {@link #signals}, made once (the safety rules read it on every decision). */
    private final Map<String, SignalValue> signalsView = Collections.unmodifiableMap(signals);
    /** An immutable copy of {@link #signals} for statuses, or null after a signal changed. */
    private @Nullable Map<String, SignalValue> signalsSnapshot;
    private final ArrayDeque<ArrivalSample> arrivals = new ArrayDeque<>();
    private ObservedState observed;
    private boolean observationStale;
    private RequestStats requests = RequestStats.IDLE;
    private @Nullable String requestsUnknown;
    /**
     * The clock as read once in the current message of the actor, or null until {@link #now()}
     * is first asked in it: a message (a tick, a report and its decision) reads the clock once,
     * not once per part that asks, and every part of it sees the same instant.
     */
    private @Nullable Instant messageNow;

    /**
     * @param signalNames the policy's signals, unknown until their first value
     * @param desiredReplicas the replicas of the last applied decision
     */
    TargetView(TargetRef target, Collection<String> signalNames, Scheduler scheduler, Timers timers, IntSupplier desiredReplicas) {
        this.target = target;
        this.scheduler = scheduler;
        this.timers = timers;
        this.desiredReplicas = desiredReplicas;
        Instant now = scheduler.clock().instant();
        this.observed = ObservedState.zero(now);
        for (String signal : signalNames) {
            signals.put(signal, SignalValue.unknown("no value yet", now));
        }
    }

    // ---- written by the actor ---------------------------------------------------------------------

    /** The actor starts its next message: {@link #now()} reads the clock again. */
    void nextMessage() {
        messageNow = null;
    }

    /** Records a successful observation; returns true when it differs from what was known. */
    boolean observed(ObservedState state) {
        boolean differs = state.differsFrom(observed) || observationStale;
        observed = state;
        observationStale = false;
        return differs;
    }

    /** The latest observation failed: {@link #observed()} stays the one before, marked stale. */
    void observationFailed() {
        observationStale = true;
    }

    void signal(String name, SignalValue value) {
        signals.put(name, value);
        signalsSnapshot = null;
    }

    /**
     * The gateways' counters summed (see {@link TrafficReports}); {@code unknown} says why they are
     * not complete (a gateway went silent), null when they are.
     */
    void requests(RequestStats stats, @Nullable String unknown) {
        requestsUnknown = unknown;
        requests(stats);
    }

    /** Why the gateways' counters are incomplete, or null when every reporting gateway is live. */
    @Nullable String requestsUnknown() {
        return requestsUnknown;
    }

    /**
     * The arrivals total stepped up by {@code by} without any new arrival (a gateway joined with
     * its own history): the samples of the rate window step with it, so the rate is unchanged.
     */
    void arrivalsJoined(long by) {
        if (by == 0 || arrivals.isEmpty()) {
            return;
        }
        ArrayDeque<ArrivalSample> shifted = new ArrayDeque<>(arrivals.size());
        for (ArrivalSample sample : arrivals) {
            shifted.addLast(new ArrivalSample(sample.at, sample.count + by));
        }
        arrivals.clear();
        arrivals.addAll(shifted);
    }

    void requests(RequestStats stats) {
        requests = stats;
        Instant now = now();
        arrivals.addLast(new ArrivalSample(now, stats.arrivals()));
        while (arrivals.size() > 2 && arrivals.peekFirst().at.isBefore(now.minus(ARRIVAL_WINDOW))) {
            arrivals.removeFirst();
        }
    }

    /**
     * Every signal, the reserved ones ({@code inflight}, {@code held}, ...) included, for status: an
     * immutable snapshot that copies the configured signals only when one changed since the last.
     */
    Map<String, SignalValue> allSignals() {
        Map<String, SignalValue> configured = signalsSnapshot;
        if (configured == null) {
            configured = signals.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(signals));
            signalsSnapshot = configured;
        }
        return new StatusSignals(configured, requests, arrivalRate(), requestsUnknown, now());
    }

    // ---- TargetContext ---------------------------------------------------------------------------

    @Override
    public TargetRef target() {
        return target;
    }

    /**
     * The instant of the current message: the clock is read at the first call in each message
     * (see {@link #nextMessage()}) and the same instant returned until the next one.
     */
    @Override
    public Instant now() {
        Instant now = messageNow;
        if (now == null) {
            now = scheduler.clock().instant();
            messageNow = now;
        }
        return now;
    }

    @Override
    public ObservedState observed() {
        return observed;
    }

    @Override
    public boolean observationStale() {
        return observationStale;
    }

    @Override
    public SignalValue signal(String signal) {
        SignalValue value = signals.get(signal);
        if (value != null) {
            return value;
        }
        return ReservedSignals.valueOf(signal, requests, this::arrivalRate, requestsUnknown, now());
    }

    @Override
    public Map<String, SignalValue> signals() {
        return signalsView;
    }

    @Override
    public RequestStats requests() {
        return requests;
    }

    @Override
    public double arrivalRate() {
        if (arrivals.size() < 2) {
            return 0;
        }
        ArrivalSample first = arrivals.peekFirst();
        ArrivalSample last = arrivals.peekLast();
        double seconds = Duration.between(first.at, last.at).toNanos() / 1e9;
        return seconds <= 0 ? 0 : (last.count - first.count) / seconds;
    }

    @Override
    public int desiredReplicas() {
        return desiredReplicas.getAsInt();
    }

    @Override
    public Timers timers() {
        return timers;
    }

    private record ArrivalSample(Instant at, long count) {}
}
