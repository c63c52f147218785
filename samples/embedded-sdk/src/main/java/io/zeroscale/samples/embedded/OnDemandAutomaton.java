package io.zeroscale.samples.embedded;

import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The sample's own policy, written in Java against the Automaton SPI: one replica while anybody
 * uses the backend, none otherwise.
 *
 * <pre>
 * ZERO     --a request is held-------------------------------> WAKING   (1 replica, hold requests)
 * WAKING   --a replica is observed ready---------------------> ACTIVE   (forward held requests)
 * WAKING   --not ready within wake-timeout: held get 504-----> ZERO
 * ACTIVE   --no request for `idle`---------------------------> DRAINING (send nothing new)
 * ACTIVE   --no ready replica any more-----------------------> WAKING
 * DRAINING --the gateway reports drained, or 10 s passed-----> ZERO     (0 replicas)
 * DRAINING --a request arrives-------------------------------> ACTIVE
 * </pre>
 *
 * The engine calls it from the target's actor, one event at a time, so it keeps plain fields. Time
 * comes from {@link TargetContext#now()} and its timers, never from the wall clock, so the same
 * class runs under the engine's simulations.
 */
final class OnDemandAutomaton implements Automaton {
    enum State {
        ZERO,
        WAKING,
        ACTIVE,
        DRAINING,
    }

    /** The transition table: anything else is a bug in this class, and fails loudly. */
    private static final Map<State, Set<State>> TRANSITIONS = Map.of(
            State.ZERO, EnumSet.of(State.WAKING),
            State.WAKING, EnumSet.of(State.ACTIVE, State.ZERO),
            State.ACTIVE, EnumSet.of(State.DRAINING, State.WAKING),
            State.DRAINING, EnumSet.of(State.ZERO, State.ACTIVE));

    private static final String IDLE_TIMER = "idle";
    private static final String WAKE_TIMER = "wake-timeout";
    private static final String DRAIN_TIMER = "drain-timeout";
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final Duration idle;
    private final Duration wakeTimeout;
    private State state = State.ZERO;
    private Decision decision = Decision.of(0, Routing.HOLD, "not started");
    private long lastArrivals = -1;
    private @Nullable Instant wakeStarted;

    OnDemandAutomaton(Duration idle, Duration wakeTimeout) {
        this.idle = idle;
        this.wakeTimeout = wakeTimeout;
    }

    @Override
    public String state() {
        return state.name();
    }

    @Override
    public Set<String> states() {
        return Stream.of(State.values()).map(State::name).collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public Decision onEvent(Event event, TargetContext ctx) {
        boolean arrived = noteArrivals(ctx);
        switch (event) {
            case Event.Start start -> {
                if (start.observed().readyReplicas() > 0) {
                    // A backend left running by an earlier run: adopt it instead of starting another.
                    // The initial state is chosen, not reached, so it is no transition of the table.
                    state = State.ACTIVE;
                    ctx.timers().set(IDLE_TIMER, idle);
                    decision = Decision.of(1, Routing.FORWARD, "adopted a running backend");
                } else {
                    decision = Decision.of(0, Routing.HOLD, "started at zero");
                    evaluate(ctx, arrived);
                }
            }
            case Event.TimerFired timer -> onTimer(timer.timer(), ctx);
            case Event.Drained ignored -> {
                if (state == State.DRAINING) {
                    toZero(ctx, "drained");
                }
            }
            case Event.Tick ignored -> evaluate(ctx, arrived);
            case Event.RequestsChanged ignored -> evaluate(ctx, arrived);
            case Event.SignalChanged ignored -> evaluate(ctx, arrived);
            case Event.ObservedChanged ignored -> evaluate(ctx, arrived);
            case Event.ReplicaFailed ignored -> evaluate(ctx, arrived);
            case Event.ObservationFailed ignored -> {
                // Nothing learned about the backend: keep the decision (unknown is not zero).
            }
            case Event.ActuationFailed ignored -> {
                // The engine retries; what this policy wants has not changed.
            }
        }
        Decision out = decision;
        if (!decision.actions().isEmpty()) {
            decision = decision.withActions(); // actions are one-shot
        }
        return out;
    }

    private void evaluate(TargetContext ctx, boolean arrived) {
        switch (state) {
            case ZERO -> {
                if (ctx.requests().held() > 0) {
                    moveTo(State.WAKING);
                    wakeStarted = ctx.now();
                    ctx.timers().set(WAKE_TIMER, wakeTimeout);
                    decision = Decision.of(1, Routing.HOLD, "waking: " + ctx.requests().held() + " request(s) held");
                    evaluate(ctx, arrived);
                }
            }
            case WAKING -> {
                if (ctx.observed().readyReplicas() > 0) {
                    moveTo(State.ACTIVE);
                    ctx.timers().cancel(WAKE_TIMER);
                    ctx.timers().set(IDLE_TIMER, idle);
                    Duration took = wakeStarted == null ? Duration.ZERO : Duration.between(wakeStarted, ctx.now());
                    decision = Decision.of(1, Routing.FORWARD, "backend ready after " + took.toMillis() + " ms; forwarding");
                }
            }
            case ACTIVE -> {
                if (ctx.observed().readyReplicas() == 0 && !ctx.observationStale()) {
                    moveTo(State.WAKING);
                    wakeStarted = ctx.now();
                    ctx.timers().set(WAKE_TIMER, wakeTimeout);
                    decision = Decision.of(1, Routing.HOLD, "backend gone; waking it again, holding requests");
                } else if (arrived || !ctx.requests().quiet()) {
                    ctx.timers().set(IDLE_TIMER, idle); // in use: restart the idle countdown
                }
            }
            case DRAINING -> {
                if (arrived || ctx.requests().held() > 0) {
                    moveTo(State.ACTIVE);
                    ctx.timers().cancel(DRAIN_TIMER);
                    ctx.timers().set(IDLE_TIMER, idle);
                    decision = Decision.of(1, Routing.FORWARD, "request arrived while draining (held " + ctx.requests().held()
                            + ", arrivals " + ctx.requests().arrivals() + "); staying up");
                }
            }
        }
    }

    private void onTimer(String timer, TargetContext ctx) {
        switch (timer) {
            case IDLE_TIMER -> {
                if (state == State.ACTIVE && ctx.requests().quiet()) {
                    moveTo(State.DRAINING);
                    ctx.timers().set(DRAIN_TIMER, DRAIN_TIMEOUT);
                    decision = Decision.of(1, Routing.DRAIN, "no request for " + idle.toMillis() + " ms; draining");
                } else if (state == State.ACTIVE) {
                    ctx.timers().set(IDLE_TIMER, idle);
                }
            }
            case WAKE_TIMER -> {
                if (state == State.WAKING) {
                    moveTo(State.ZERO);
                    String reason = "backend not ready within " + wakeTimeout.toMillis() + " ms";
                    decision = Decision.of(0, Routing.HOLD, reason + "; back to zero")
                            .withActions(new Action.FailHeld(504, reason));
                }
            }
            case DRAIN_TIMER -> {
                if (state == State.DRAINING) {
                    toZero(ctx, "drain took longer than " + DRAIN_TIMEOUT.toSeconds() + " s");
                }
            }
            default -> {
                // A timer this version does not set (e.g. left by an older one): nothing to do.
            }
        }
    }

    private void toZero(TargetContext ctx, String why) {
        moveTo(State.ZERO);
        ctx.timers().cancel(DRAIN_TIMER);
        ctx.timers().cancel(IDLE_TIMER);
        decision = Decision.of(0, Routing.HOLD, why + "; scaled to zero");
    }

    /** True when requests arrived since the previous event (the gateway's counter is monotonic). */
    private boolean noteArrivals(TargetContext ctx) {
        long arrivals = ctx.requests().arrivals();
        boolean arrived = lastArrivals >= 0 && arrivals > lastArrivals;
        lastArrivals = arrivals;
        return arrived;
    }

    private void moveTo(State next) {
        if (!TRANSITIONS.getOrDefault(state, Set.of()).contains(next)) {
            throw new ZeroscaleException(StandardErrorCode.ILLEGAL_TRANSITION, "on-demand: no transition from " + state + " to " + next);
        }
        state = next;
    }
}
