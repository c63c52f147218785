package io.zeroscale.testkit;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.ReservedSignals;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.automaton.Timers;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A hand-driven {@link TargetContext} for unit tests of automata: the test sets the time, signals,
 * request counters and observed state, then calls {@link #deliver}. Timers are recorded with their
 * due time; {@link #advance} moves time and fires due timers in order, as the engine would.
 */
public final class TestTargetContext implements TargetContext {
    private final TargetRef target;
    private final Map<String, SignalValue> signals = new LinkedHashMap<>();
    private final Map<String, Instant> timers = new LinkedHashMap<>();
    private Instant now;
    private ObservedState observed;
    private boolean stale;
    private RequestStats requests = RequestStats.IDLE;
    private double arrivalRate;
    private int desiredReplicas;
    private Decision lastDecision = Decision.of(0, io.zeroscale.spi.traffic.Routing.HOLD, "initial");

    public TestTargetContext(TargetRef target, Instant start) {
        this.target = requireNonNull(target, "target is null");
        this.now = requireNonNull(start, "start is null");
        this.observed = ObservedState.zero(start);
    }

    public static TestTargetContext create() {
        return new TestTargetContext(TargetRef.of("test", "Process", "app"), Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** Delivers {@code event} to {@code automaton}, remembers the decision and returns it. */
    public Decision deliver(Automaton automaton, Event event) {
        lastDecision = automaton.onEvent(event, this);
        desiredReplicas = lastDecision.replicas();
        return lastDecision;
    }

    /**
     * Moves time forward by {@code step}, firing every timer that falls due on the way (in due
     * order, with the clock set to each due time). Returns the last decision.
     */
    public Decision advance(Automaton automaton, Duration step) {
        Instant end = now.plus(step);
        while (true) {
            Optional<Map.Entry<String, Instant>> due = timers.entrySet().stream()
                    .filter(entry -> !entry.getValue().isAfter(end))
                    .min(Map.Entry.comparingByValue());
            if (due.isEmpty()) {
                break;
            }
            timers.remove(due.get().getKey());
            now = due.get().getValue();
            deliver(automaton, new Event.TimerFired(due.get().getKey()));
        }
        now = end;
        return lastDecision;
    }

    public Decision lastDecision() {
        return lastDecision;
    }

    public TestTargetContext setNow(Instant now) {
        this.now = now;
        return this;
    }

    public TestTargetContext setSignal(String name, double value) {
        signals.put(name, SignalValue.known(value, now));
        return this;
    }

    public TestTargetContext setSignalUnknown(String name, String reason) {
        signals.put(name, SignalValue.unknown(reason, now));
        return this;
    }

    public TestTargetContext setRequests(RequestStats requests) {
        this.requests = requests;
        return this;
    }

    public TestTargetContext setArrivalRate(double arrivalRate) {
        this.arrivalRate = arrivalRate;
        return this;
    }

    public TestTargetContext setObserved(ObservedState observed) {
        this.observed = observed;
        this.stale = false;
        return this;
    }

    public TestTargetContext setStale(boolean stale) {
        this.stale = stale;
        return this;
    }

    public TestTargetContext setDesiredReplicas(int desiredReplicas) {
        this.desiredReplicas = desiredReplicas;
        return this;
    }

    /** Due time of each set timer. */
    public Map<String, Instant> dueTimers() {
        return Collections.unmodifiableMap(timers);
    }

    @Override
    public TargetRef target() {
        return target;
    }

    @Override
    public Instant now() {
        return now;
    }

    @Override
    public ObservedState observed() {
        return observed;
    }

    @Override
    public boolean observationStale() {
        return stale;
    }

    /**
     * Like the engine: the reserved names {@code inflight}, {@code held} and {@code arrival-rate}
     * read the gateway counters unless the test set them explicitly.
     */
    @Override
    public SignalValue signal(String signal) {
        SignalValue value = signals.get(signal);
        if (value != null) {
            return value;
        }
        return ReservedSignals.valueOf(signal, requests, () -> arrivalRate, null, now);
    }

    @Override
    public Map<String, SignalValue> signals() {
        return Collections.unmodifiableMap(signals);
    }

    @Override
    public RequestStats requests() {
        return requests;
    }

    @Override
    public double arrivalRate() {
        return arrivalRate;
    }

    @Override
    public int desiredReplicas() {
        return desiredReplicas;
    }

    @Override
    public Timers timers() {
        return timerView;
    }

    private final Timers timerView = new Timers() {
        @Override
        public void set(String name, Duration after) {
            timers.put(name, now.plus(after));
        }

        @Override
        public void cancel(String name) {
            timers.remove(name);
        }

        @Override
        public boolean isSet(String name) {
            return timers.containsKey(name);
        }
    };
}
