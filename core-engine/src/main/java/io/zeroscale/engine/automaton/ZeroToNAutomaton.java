package io.zeroscale.engine.automaton;

import static io.zeroscale.spi.StandardErrorCode.ILLEGAL_TRANSITION;
import static java.util.Objects.requireNonNull;

import io.zeroscale.engine.history.ArrivalHistory;
import io.zeroscale.engine.history.PlannedPrewake;
import io.zeroscale.engine.history.PlansPrewakes;
import io.zeroscale.engine.history.SeasonalForecast;
import io.zeroscale.engine.history.UsesArrivalHistory;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The built-in lifecycle policy {@code zero-to-n}, as drawn in the repository's {@code
 * docs/architecture.md} ("The zero-to-n lifecycle"):
 *
 * <pre>
 * ZERO --request held / signal above activation--> WAKING --ready >= 1--> ACTIVE
 * WAKING --wake-timeout: fail held (504), alert--> ZERO
 * WAKING --the engine gave up after failed starts in a row (it answers held requests 503)--> ZERO
 * ACTIVE --idle for `idle` (no requests, signals at/below activation)--> DRAINING
 * DRAINING --drained or drain-timeout--> ZERO;  DRAINING --request--> ACTIVE
 * optional: ACTIVE --idle for `pause-after`--> PAUSED --idle for `idle`--> ZERO; PAUSED --request--> WAKING
 * </pre>
 *
 * A wake from PAUSED resumes first and counts only replicas observed ready after that decision:
 * an observation made before it (still showing the replicas ready from before the pause, because
 * the pause had not been observed yet) would forward the held requests to frozen replicas.
 *
 * In ACTIVE the replica count follows target tracking (HPA formula) within [max(1, min), max].
 * A workload that loses every ready replica while ACTIVE (stopped behind our back) goes back to
 * WAKING and its requests are held, not failed.
 *
 * <p>With {@code adaptive:} (or as the {@code adaptive} automaton) the idle time is not fixed but
 * predicted from the target's arrival history ({@link HybridHistogram}): either kept alive until the
 * expected tail of the next idle time, or scaled to zero at once and woken again ahead of the next
 * expected request (ZERO --pre-wake timer--> WAKING), kept up until the tail if that request does
 * not come. While the history cannot predict, the fixed {@code idle} applies, and the reasons say so.
 */
final class ZeroToNAutomaton implements Automaton, UsesArrivalHistory, PlansPrewakes, NeedsTicks {
    enum State {
        ZERO,
        WAKING,
        ACTIVE,
        DRAINING,
        PAUSED,
    }

    private static final Map<State, Set<State>> TRANSITIONS = Map.of(
            State.ZERO, EnumSet.of(State.WAKING),
            State.WAKING, EnumSet.of(State.ACTIVE, State.ZERO),
            State.ACTIVE, EnumSet.of(State.DRAINING, State.PAUSED, State.WAKING),
            State.DRAINING, EnumSet.of(State.ZERO, State.ACTIVE),
            State.PAUSED, EnumSet.of(State.WAKING, State.ZERO));

    static final String WAKE_TIMER = "wake-timeout";
    static final String IDLE_TIMER = "idle";
    static final String DRAIN_TIMER = "drain-timeout";
    static final String PREWAKE_TIMER = "pre-wake";
    static final String SEASONAL_TIMER = "seasonal-pre-wake";
    /** How long a target that will be pre-woken stays up once idle. */
    static final Duration PREWAKE_GRACE = Duration.ofSeconds(1);

    private final ZeroToNSettings settings;
    private final ReplicaBounds bounds;
    private final @Nullable TargetTracker tracker;
    private State state = State.ZERO;
    private Decision decision;
    private @Nullable Instant lastActivity;
    private long lastArrivals = -1;
    /** Requests were held or in flight at the previous event: the activity ends when they are not. */
    private boolean busy;
    /** The tracker recommended at every event since the target became ACTIVE (see {@link TargetTracker#heldUntil}). */
    private boolean tracking;
    private @Nullable Instant wakeStarted;
    /** When a wake from PAUSED decided to resume, while WAKING from it: older observations do not count as ready. */
    private @Nullable Instant resumedAt;
    /** The observation that decision saw. */
    private @Nullable ObservedState seenAtResume;
    private long arrivalsAtFailedWake = -1;
    private ArrivalHistory history = new ArrivalHistory();
    /** The adaptive prediction made at the last activity; null without {@code adaptive:}. */
    private HybridHistogram.@Nullable Prediction prediction;
    /** How long the last wake took, a lower bound for the pre-wake's lead. */
    private @Nullable Duration lastWakeTook;
    /** Woken by the pre-wake, and no request since. */
    private boolean prewoken;
    /** The seasonal window the next seasonal pre-wake is for, while its timer is set. */
    private SeasonalForecast.@Nullable Window seasonalWindow;
    /** The forecast's basis when the seasonal pre-wake was planned, for the journal. */
    private String seasonalBasis = "";
    /** Woken by the seasonal forecast and no request since: kept up until then, then down. */
    private @Nullable Instant seasonalUntil;
    /** After a seasonal pre-wake no request came for: no seasonal pre-wake or hold before then (the next UTC midnight). */
    private @Nullable Instant seasonalQuietUntil;
    /** The slot the seasonal hold was last judged for: until when, whether likely, and its evidence. */
    private @Nullable Instant holdSlotEnd;
    private boolean holdSlotLikely;
    private String holdSlotEvidence = "";
    private @Nullable Instant heldUntil;
    /** The seasonal hold kept the target up past its idle time (for the reason when it drains). */
    private boolean seasonalHeld;
    /** The pre-wake planned while at zero, for the API; null when none. Written on the actor, read by any thread. */
    private volatile @Nullable PlannedPrewake planned;

    ZeroToNAutomaton(ZeroToNSettings settings, ReplicaBounds bounds, @Nullable TargetTracker tracker) {
        this.settings = settings;
        this.bounds = bounds;
        this.tracker = tracker;
        this.decision = Decision.of(0, Routing.HOLD, "not started");
    }

    @Override
    public void useArrivalHistory(ArrivalHistory history) {
        this.history = history;
    }

    @Override
    public String state() {
        return state.name();
    }

    @Override
    public Set<String> states() {
        return Stream.of(State.values())
                .filter(s -> s != State.PAUSED || settings.pauseAfter() != null)
                .map(State::name)
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public StateDiagram describe() {
        ZeroToNSettings.Activation activation = settings.activation();
        String woken = "request held" + (activation == null ? "" : " or " + activation.signal() + " > " + activation.above());
        String idle = settings.adaptive() == null ? "idle for " + Durations.format(settings.idle())
                : "idle for the predicted keep-alive (" + Durations.format(settings.idle()) + " until the history predicts)";
        String floor = Math.max(1, bounds.min()) + ".." + bounds.max();
        List<StateDiagram.State> states = new ArrayList<>(List.of(
                new StateDiagram.State(State.ZERO.name(), "0 replicas; requests held until woken"),
                new StateDiagram.State(State.WAKING.name(), "replicas starting; requests held"),
                new StateDiagram.State(State.ACTIVE.name(), floor + " replicas by target tracking; requests forwarded"),
                new StateDiagram.State(State.DRAINING.name(), "no new work; in-flight requests finish")));
        List<StateDiagram.Transition> transitions = new ArrayList<>(List.of(
                new StateDiagram.Transition(State.ZERO.name(), State.WAKING.name(),
                        woken + (settings.adaptive() == null ? "" : " or pre-wake before the next expected request")),
                new StateDiagram.Transition(State.WAKING.name(), State.ACTIVE.name(), "ready >= 1: held requests forwarded"),
                new StateDiagram.Transition(State.WAKING.name(), State.ZERO.name(), "not ready within wake-timeout "
                        + Durations.format(settings.wakeTimeout()) + " (held requests fail, alert) or the start failed too often"),
                new StateDiagram.Transition(State.ACTIVE.name(), State.DRAINING.name(), idle),
                new StateDiagram.Transition(State.ACTIVE.name(), State.WAKING.name(), "no ready replica any more"),
                new StateDiagram.Transition(State.DRAINING.name(), State.ZERO.name(),
                        "nothing in flight, or drain-timeout " + Durations.format(settings.drainTimeout())),
                new StateDiagram.Transition(State.DRAINING.name(), State.ACTIVE.name(), "request arrives")));
        Duration pauseAfter = settings.pauseAfter();
        if (pauseAfter != null) {
            states.add(new StateDiagram.State(State.PAUSED.name(), "replicas paused; requests held"));
            transitions.add(new StateDiagram.Transition(State.ACTIVE.name(), State.PAUSED.name(), "idle for " + Durations.format(pauseAfter)));
            transitions.add(new StateDiagram.Transition(State.PAUSED.name(), State.WAKING.name(), woken + ": resume"));
            transitions.add(new StateDiagram.Transition(State.PAUSED.name(), State.ZERO.name(), "idle for " + Durations.format(settings.idle())));
        }
        return new StateDiagram(states, transitions);
    }

    @Override
    public Decision onEvent(Event event, TargetContext ctx) {
        noteActivity(ctx);
        switch (event) {
            case Event.Start start -> onStart(start.observed(), ctx);
            case Event.RequestsChanged ignored -> evaluate(ctx);
            case Event.SignalChanged ignored -> evaluate(ctx);
            case Event.Tick ignored -> evaluate(ctx);
            case Event.ObservedChanged ignored -> evaluate(ctx);
            case Event.ObservationFailed ignored -> {
                // Keep the last decision: a failed observation tells nothing about the workload.
            }
            case Event.ReplicaFailed failed -> onReplicaFailed(failed, ctx);
            case Event.ActuationFailed ignored -> {
                // The engine retries and journals; the policy's intent is unchanged.
            }
            case Event.TimerFired timer -> onTimer(timer.timer(), ctx);
            case Event.Drained ignored -> {
                if (state == State.DRAINING) {
                    toZero(ctx, "drained: no request in flight");
                }
            }
        }
        Decision out = decision;
        if (!decision.actions().isEmpty()) {
            decision = decision.withActions(); // actions are one-shot: don't repeat them next event
        }
        return out;
    }

    private void onStart(ObservedState observed, TargetContext ctx) {
        // Rebuild from what runs now, so a restart neither flaps nor wakes twice (safety rule 5).
        lastActivity = ctx.now();
        if (observed.readyReplicas() > 0) {
            state = State.ACTIVE;
            ctx.timers().set(IDLE_TIMER, settings.idle());
            decision = Decision.of(activeReplicas(ctx, observed.replicas()), Routing.FORWARD,
                    "started with " + observed.readyReplicas() + " ready replica(s)");
        } else if (observed.pausedReplicas() > 0 && settings.pauseAfter() != null) {
            state = State.PAUSED;
            ctx.timers().set(IDLE_TIMER, settings.idle());
            decision = Decision.of(observed.replicas(), Routing.HOLD, "started with paused replicas").withPaused(true);
        } else if (observed.replicas() > 0) {
            state = State.WAKING;
            wakeStarted = ctx.now();
            ctx.timers().set(WAKE_TIMER, settings.wakeTimeout());
            decision = Decision.of(Math.max(observed.replicas(), wakeReplicas()), Routing.HOLD,
                    "started while " + observed.replicas() + " replica(s) start up");
        } else {
            state = State.ZERO;
            // After a restart the history knows when the last request came: the pre-wake it predicts still holds.
            Instant lastArrival = history.lastArrival();
            if (lastArrival != null && lastArrival.isBefore(ctx.now())) {
                lastActivity = lastArrival;
            }
            predict();
            decision = Decision.of(0, Routing.HOLD, "started at zero" + schedulePrewake(ctx));
            evaluate(ctx);
        }
    }

    private void evaluate(TargetContext ctx) {
        switch (state) {
            case ZERO -> {
                String trigger = wakeTrigger(ctx);
                if (trigger != null) {
                    wake(ctx, trigger, false);
                }
            }
            case PAUSED -> {
                String trigger = wakeTrigger(ctx);
                if (trigger != null) {
                    wake(ctx, trigger, true);
                } else if (idleFor(ctx, settings.idle())) {
                    moveTo(State.ZERO);
                    ctx.timers().cancel(IDLE_TIMER);
                    decision = Decision.of(0, Routing.HOLD, "idle for " + Durations.format(settings.idle()) + " while paused; scaled to zero");
                }
            }
            case WAKING -> {
                if (ready(ctx) && observedSinceResume(ctx)) {
                    moveTo(State.ACTIVE);
                    ctx.timers().cancel(WAKE_TIMER);
                    setIdleTimer(ctx);
                    if (wakeStarted != null) {
                        lastWakeTook = Duration.between(wakeStarted, ctx.now());
                    }
                    String took = wakeStarted == null ? "" : " after " + Durations.format(Duration.between(wakeStarted, ctx.now()));
                    decision = Decision.of(activeReplicas(ctx, decision.replicas()), Routing.FORWARD,
                            ctx.observed().readyReplicas() + " replica(s) ready" + took + "; forwarding held requests");
                }
            }
            case ACTIVE -> {
                if (!ready(ctx) && !ctx.observationStale()) {
                    moveTo(State.WAKING);
                    wakeStarted = ctx.now();
                    ctx.timers().set(WAKE_TIMER, settings.wakeTimeout());
                    decision = Decision.of(Math.max(decision.replicas(), wakeReplicas()), Routing.HOLD,
                            "no ready replica any more (stopped outside Zeroscale?); waking again and holding requests");
                    return;
                }
                int replicas = activeReplicas(ctx, decision.replicas());
                if (replicas != decision.replicas()) {
                    decision = Decision.of(replicas, Routing.FORWARD, trackingReason(replicas));
                }
                if (idleNow(ctx)) {
                    startDraining(ctx);
                } else if (settings.pauseAfter() != null && lastActivity != null && idleFor(ctx, settings.pauseAfter())) {
                    moveTo(State.PAUSED);
                    ctx.timers().set(IDLE_TIMER, Duration.between(ctx.now(), lastActivity.plus(settings.idle())));
                    decision = Decision.of(decision.replicas(), Routing.HOLD,
                            "idle for " + Durations.format(settings.pauseAfter()) + "; pausing").withPaused(true);
                }
            }
            case DRAINING -> {
                if (activeNow(ctx)) {
                    moveTo(State.ACTIVE);
                    ctx.timers().cancel(DRAIN_TIMER);
                    setIdleTimer(ctx);
                    decision = Decision.of(decision.replicas(), Routing.FORWARD, "request arrived while draining; drain cancelled");
                }
            }
        }
    }

    /**
     * Once the engine gives up on a wake (too many failed starts in a row), it answers the held
     * requests with the reason; going back to zero stops the restarts until a new request arrives
     * after the backoff, instead of retrying until the wake timeout.
     */
    private void onReplicaFailed(Event.ReplicaFailed failed, TargetContext ctx) {
        if (state == State.WAKING && failed.gaveUp()) {
            moveTo(State.ZERO);
            ctx.timers().cancel(WAKE_TIMER);
            arrivalsAtFailedWake = ctx.requests().arrivals();
            decision = Decision.of(0, Routing.HOLD, "gave up waking after " + failed.failuresInARow()
                    + " failed starts in a row (" + failed.reason() + "); back to zero until a request arrives after "
                    + failed.retryAt());
            return;
        }
        evaluate(ctx);
    }

    private void onTimer(String timer, TargetContext ctx) {
        switch (timer) {
            case WAKE_TIMER -> {
                if (state == State.WAKING) {
                    String reason = "not ready within wake-timeout " + Durations.format(settings.wakeTimeout());
                    moveTo(State.ZERO);
                    arrivalsAtFailedWake = ctx.requests().arrivals();
                    decision = Decision.of(0, Routing.HOLD, reason + "; back to zero")
                            .withActions(new Action.FailHeld(WakeTimeout.STATUS,
                                            WakeTimeout.message(ctx.target(), settings.wakeTimeout())),
                                    new Action.Alert(Action.Severity.CRITICAL, "wake of " + ctx.target() + " failed: " + reason));
                }
            }
            case IDLE_TIMER -> evaluate(ctx);
            case PREWAKE_TIMER -> {
                if (state == State.ZERO && prediction instanceof HybridHistogram.Predicted predicted && lastActivity != null) {
                    wake(ctx, "pre-wake: next request expected from " + lastActivity.plus(predicted.expectedFrom()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                            + " (" + predicted.describe() + ", last request " + lastActivity.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "); kept up until "
                            + lastActivity.plus(predicted.keepUntil()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " if none comes", false);
                    prewoken = true;
                }
            }
            case SEASONAL_TIMER -> {
                SeasonalForecast.Window window = seasonalWindow;
                if (state == State.ZERO && window != null) {
                    Instant until = window.first().end();
                    seasonalUntil = until; // before the wake: a workload that is ready at once goes ACTIVE within it
                    wake(ctx, "pre-wake: seasonal forecast: requests expected from " + window.start() + " until " + window.end() + " ("
                            + window.first().describe() + "; " + seasonalBasis + "); kept up until " + until + " if none comes", false);
                }
            }
            case DRAIN_TIMER -> {
                if (state == State.DRAINING) {
                    toZero(ctx, "drain-timeout " + Durations.format(settings.drainTimeout()) + " passed");
                }
            }
            default -> {
                // A timer of another automaton version after a restart; nothing to do.
            }
        }
    }

    private void wake(TargetContext ctx, String trigger, boolean fromPause) {
        moveTo(State.WAKING);
        wakeStarted = ctx.now();
        ctx.timers().set(WAKE_TIMER, settings.wakeTimeout());
        ctx.timers().cancel(IDLE_TIMER);
        ctx.timers().cancel(PREWAKE_TIMER);
        ctx.timers().cancel(SEASONAL_TIMER);
        seasonalWindow = null;
        planned = null;
        int replicas = Math.max(fromPause ? decision.replicas() : 0, wakeReplicas());
        decision = Decision.of(replicas, Routing.HOLD, (fromPause ? "resuming: " : "waking: ") + trigger);
        resumedAt = fromPause ? ctx.now() : null;
        seenAtResume = fromPause ? ctx.observed() : null;
        // The workload may already be ready (kept by the safety rules); paused replicas are ready
        // only once observed after this resume.
        evaluate(ctx);
    }

    private void startDraining(TargetContext ctx) {
        moveTo(State.DRAINING);
        ctx.timers().set(DRAIN_TIMER, settings.drainTimeout());
        String held = seasonalHeld ? "; kept up by the seasonal forecast until " + heldUntil + " (the last slot it expected requests in: "
                + holdSlotEvidence + ")" : "";
        decision = Decision.of(decision.replicas(), Routing.DRAIN, idleReason() + held + "; draining before scale to zero");
    }

    /** Why the target is idle now, naming what decided how long (fixed idle and why, or the prediction). */
    private String idleReason() {
        Instant until = seasonalUntil;
        if (until != null) {
            return "no request by " + until + ", the end of the first slot the seasonal forecast expected requests in";
        }
        HybridHistogram.Prediction current = prediction;
        if (current == null) {
            return "idle for " + Durations.format(settings.idle());
        }
        if (current instanceof HybridHistogram.Predicted predicted && lastActivity != null) {
            if (prewoken) {
                return "no request by " + lastActivity.plus(predicted.keepUntil()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ", the end of the expected window ("
                        + predicted.describe() + ")";
            }
            Duration prewake = predicted.prewakeAfter();
            if (prewake != null) {
                return "request done; the next is expected no sooner than " + lastActivity.plus(predicted.expectedFrom()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                        + " (" + predicted.describe() + "): down until the pre-wake at " + lastActivity.plus(prewake).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            }
            return "idle for " + HybridHistogram.format(predicted.keepUntil()) + " (" + predicted.describe() + " keep-alive)";
        }
        return "idle for " + Durations.format(settings.idle()) + " (" + current.describe() + ")";
    }

    private void toZero(TargetContext ctx, String why) {
        moveTo(State.ZERO);
        ctx.timers().cancel(DRAIN_TIMER);
        ctx.timers().cancel(IDLE_TIMER);
        seasonalUntil = null;
        seasonalHeld = false;
        decision = Decision.of(0, Routing.HOLD, why + "; scaled to zero" + schedulePrewake(ctx));
    }

    /**
     * At zero: sets the timer of the pre-wake predicted from the idle times if one is still ahead,
     * otherwise that of the seasonal forecast's next window. Returns what to add to the reason
     * about the seasonal pre-wake (planned, or why there is none), empty when it does not apply.
     */
    private String schedulePrewake(TargetContext ctx) {
        planned = null;
        seasonalWindow = null;
        Instant last = lastActivity;
        if (!prewoken && prediction instanceof HybridHistogram.Predicted predicted && predicted.prewakeAfter() != null && last != null) {
            Instant at = last.plus(predicted.prewakeAfter());
            Duration until = Duration.between(ctx.now(), at);
            if (until.isPositive()) {
                ctx.timers().set(PREWAKE_TIMER, until);
                planned = new PlannedPrewake(at, last.plus(predicted.expectedFrom()), last.plus(predicted.keepUntil()), "idle-times",
                        null, predicted.describe());
                return "";
            }
        }
        HybridHistogram adaptive = settings.adaptive();
        SeasonalForecast.Settings seasonal = adaptive == null ? null : adaptive.seasonal();
        if (adaptive == null || seasonal == null) {
            return "";
        }
        SeasonalForecast forecast = SeasonalForecast.of(history, ctx.now(), seasonal);
        String unavailable = forecast.unavailable();
        if (unavailable != null) {
            return "; no seasonal pre-wake (" + unavailable + ")";
        }
        Instant quiet = seasonalQuietUntil;
        Optional<SeasonalForecast.Window> next = forecast.nextWindow(quiet != null && quiet.isAfter(ctx.now()) ? quiet : ctx.now());
        if (next.isEmpty()) {
            return "; no seasonal pre-wake (no slot reaches probability " + Policies.number(seasonal.minProbability()) + " in the next "
                    + Durations.format(SeasonalForecast.HORIZON) + "; " + forecast.basis() + ")";
        }
        SeasonalForecast.Window window = next.get();
        Instant at = window.start().minus(lead(adaptive));
        Duration until = Duration.between(ctx.now(), at);
        ctx.timers().set(SEASONAL_TIMER, until.isNegative() ? Duration.ZERO : until);
        seasonalWindow = window;
        seasonalBasis = forecast.basis();
        planned = new PlannedPrewake(at, window.start(), window.first().end(), "seasonal", window.first().probability(),
                "requests expected from " + window.start() + " until " + window.end() + " (" + window.first().describe() + "; "
                        + seasonalBasis + ")");
        return "; seasonal pre-wake at " + at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ": requests expected from "
                + window.start() + " until " + window.end() + " (" + window.first().describe() + "; " + seasonalBasis + ")";
    }

    /** How long before an expected request to wake: the wake lead, or the last measured wake if longer. */
    private Duration lead(HybridHistogram adaptive) {
        Duration took = lastWakeTook;
        return took != null && took.compareTo(adaptive.wakeLead()) > 0 ? took : adaptive.wakeLead();
    }

    /** The pre-wake planned at zero (its timer is set), or null; safe to read from any thread. */
    @Override
    public @Nullable PlannedPrewake plannedPrewake() {
        return planned;
    }

    @Override
    public SeasonalForecast.@Nullable Settings seasonalSettings() {
        HybridHistogram adaptive = settings.adaptive();
        return adaptive == null ? null : adaptive.seasonal();
    }

    /** Idle now: as predicted or fixed, or after a seasonal pre-wake once its first slot passed without a request. */
    private boolean idleNow(TargetContext ctx) {
        Instant until = seasonalUntil;
        if (until != null) {
            boolean missed = idleFor(ctx, Duration.ZERO) && !ctx.now().isBefore(until);
            if (missed) {
                // Today does not follow the pattern (a holiday, a weekend the history cannot tell yet): no more
                // seasonal pre-wakes or holds today, or every later window of the day would wake it again.
                seasonalQuietUntil = ctx.now().truncatedTo(java.time.temporal.ChronoUnit.DAYS).plus(Duration.ofDays(1));
            }
            return missed;
        }
        if (!idleFor(ctx, idle())) {
            return false;
        }
        if (seasonalHold(ctx)) {
            seasonalHeld = true;
            Instant end = requireNonNull(holdSlotEnd);
            ctx.timers().set(IDLE_TIMER, Duration.between(ctx.now(), end));
            return false;
        }
        return true;
    }

    /**
     * The seasonal forecast raises the minimum to one replica while the current slot is likely to
     * see requests: idle in the middle of a working day is a gap, not the end. Only when the idle
     * times do not time the next request themselves (no pre-wake from the histogram: a timer-like
     * target goes down between its requests), and not after a missed seasonal pre-wake today.
     * Judged once per slot.
     */
    private boolean seasonalHold(TargetContext ctx) {
        HybridHistogram adaptive = settings.adaptive();
        SeasonalForecast.Settings seasonal = adaptive == null ? null : adaptive.seasonal();
        if (seasonal == null || (prediction instanceof HybridHistogram.Predicted predicted && predicted.prewakeAfter() != null)) {
            return false;
        }
        Instant now = ctx.now();
        Instant quiet = seasonalQuietUntil;
        if (quiet != null && now.isBefore(quiet)) {
            return false;
        }
        Instant end = holdSlotEnd;
        if (end == null || !now.isBefore(end)) {
            SeasonalForecast forecast = SeasonalForecast.of(history, now, seasonal);
            SeasonalForecast.Slot slot = forecast.slot(now);
            holdSlotLikely = forecast.likely(slot);
            holdSlotEnd = slot.end();
            if (holdSlotLikely) {
                holdSlotEvidence = slot.describe();
                heldUntil = slot.end();
            }
        }
        return holdSlotLikely;
    }

    /** How long after the last activity the target counts as idle: fixed, or as predicted. */
    private Duration idle() {
        if (prediction instanceof HybridHistogram.Predicted predicted) {
            if (prewoken || predicted.prewakeAfter() == null) {
                return predicted.keepUntil();
            }
            // The pre-wake brings it back before the next request. Not zero: a zero idle timer, re-armed
            // by every event while a request is in flight, would fire at the same instant forever.
            return PREWAKE_GRACE;
        }
        return settings.idle();
    }

    /** (Re)sets the idle timer to fire when the target has been idle for {@link #idle()}. */
    private void setIdleTimer(TargetContext ctx) {
        Instant seasonal = seasonalUntil;
        Duration remaining = seasonal != null ? Duration.between(ctx.now(), seasonal)
                : lastActivity == null ? idle() : Duration.between(ctx.now(), lastActivity.plus(idle()));
        ctx.timers().set(IDLE_TIMER, remaining.isNegative() ? Duration.ZERO : remaining);
    }

    private void predict() {
        HybridHistogram adaptive = settings.adaptive();
        if (adaptive != null) {
            prediction = adaptive.predict(history.idleTimes(), lastWakeTook);
        }
    }

    private void moveTo(State next) {
        if (!requireNonNull(TRANSITIONS.get(state), "no transitions for " + state).contains(next)) {
            throw new ZeroscaleException(ILLEGAL_TRANSITION, "zero-to-n: no transition from " + state + " to " + next);
        }
        state = next;
        resumedAt = null; // a wake from PAUSED sets them after moving to WAKING
        seenAtResume = null;
        tracking = false;
    }

    /**
     * True unless this wake resumed paused replicas and the observation was made before that
     * decision: it may still show the replicas ready from before the pause. One made at the same
     * instant (a virtual clock, a coarse one) counts only if it differs from the one the decision saw.
     */
    private boolean observedSinceResume(TargetContext ctx) {
        Instant resumed = resumedAt;
        ObservedState seen = seenAtResume;
        if (resumed == null || seen == null) {
            return true;
        }
        ObservedState observed = ctx.observed();
        return observed.observedAt().isAfter(resumed) || (observed.observedAt().equals(resumed) && observed.differsFrom(seen));
    }

    /**
     * Ticks change nothing here unless something time-dependent has no timer: in ACTIVE the idle
     * timer must be set, no pause-after configured, and the tracker settled (no stabilization window
     * or rate policy holding a change back); in PAUSED the idle timer must be set. Every other transition follows an event
     * (requests, signals, observations, drains) or a timer (wake, drain, pre-wake).
     */
    @Override
    public boolean needsTicks(TargetContext context) {
        return switch (state) {
            case ZERO, WAKING, DRAINING -> false;
            case PAUSED -> !context.timers().isSet(IDLE_TIMER);
            // With pause-after, the idle timer may be set for the full idle (at start, after a wake):
            // only ticks see the pause come due before it.
            case ACTIVE -> settings.pauseAfter() != null || !context.timers().isSet(IDLE_TIMER)
                    || (tracker != null && !tracker.settled());
        };
    }

    // ---- guards ----------------------------------------------------------------------------------

    /** Why to wake, or null: a held request, or an activation signal above its threshold. */
    private @Nullable String wakeTrigger(TargetContext ctx) {
        // After a failed wake the gateway is answering the held requests; only new ones may wake again.
        if (ctx.requests().held() > 0 && ctx.requests().arrivals() > arrivalsAtFailedWake) {
            return ctx.requests().held() + " request(s) held";
        }
        ZeroToNSettings.Activation activation = settings.activation();
        if (activation != null && ctx.signal(activation.signal()) instanceof SignalValue.Known known
                && known.value() > activation.above()) {
            return "signal " + activation.signal() + " = " + known.value() + " above activation " + activation.above();
        }
        return null;
    }

    private boolean ready(TargetContext ctx) {
        return ctx.observed().readyReplicas() > 0;
    }

    /** A request arrived since the previous event (in DRAINING, in-flight requests are expected). */
    private boolean activeNow(TargetContext ctx) {
        return ctx.requests().held() > 0 || arrivedThisEvent;
    }

    private boolean arrivedThisEvent;

    private void noteActivity(TargetContext ctx) {
        long arrivals = ctx.requests().arrivals();
        arrivedThisEvent = lastArrivals >= 0 && arrivals > lastArrivals;
        lastArrivals = arrivals;
        boolean wasBusy = busy;
        busy = !ctx.requests().quiet();
        // The last request finishing is activity too: idle counts from then, not from the last
        // event before it (with ticks skipped, that may be long before).
        if (busy || wasBusy || arrivedThisEvent || activationAbove(ctx)) {
            lastActivity = ctx.now();
            if (arrivedThisEvent) {
                prewoken = false;
                seasonalUntil = null;
                seasonalQuietUntil = null;
                predict();
            }
            if (state == State.ACTIVE) {
                ctx.timers().set(IDLE_TIMER, settings.pauseAfter() != null ? settings.pauseAfter() : idle());
            }
        }
    }

    private boolean activationAbove(TargetContext ctx) {
        ZeroToNSettings.Activation activation = settings.activation();
        return activation != null && ctx.signal(activation.signal()) instanceof SignalValue.Known known
                && known.value() > activation.above();
    }

    /**
     * Idle: nothing held or in flight, no arrivals for {@code period}, and the activation signal
     * known and at or below its threshold (unknown is not idle).
     */
    private boolean idleFor(TargetContext ctx, Duration period) {
        if (!ctx.requests().quiet() || lastActivity == null) {
            return false;
        }
        ZeroToNSettings.Activation activation = settings.activation();
        if (activation != null && !(ctx.signal(activation.signal()) instanceof SignalValue.Known known && known.value() <= activation.above())) {
            return false;
        }
        return !ctx.now().isBefore(lastActivity.plus(period));
    }

    private int wakeReplicas() {
        return Math.max(1, bounds.min());
    }

    private int activeReplicas(TargetContext ctx, int current) {
        int floor = Math.max(1, bounds.min());
        if (tracker == null) {
            return Math.max(floor, Math.min(bounds.max(), current));
        }
        if (tracking) {
            // Nothing the tracker reads changed since its last recommendation (each change is an
            // event, and every event in ACTIVE recommends): it held until now, ticks or not.
            tracker.heldUntil(ctx.now());
        }
        int recommended = tracker.recommend(ctx, Math.max(floor, current));
        tracking = state == State.ACTIVE;
        return Math.max(floor, Math.min(bounds.max(), recommended));
    }

    private String trackingReason(int replicas) {
        if (tracker != null && tracker.lastHoldReason().isPresent()) {
            return "holding " + replicas + " replica(s): " + tracker.lastHoldReason().get();
        }
        return "target tracking: " + replicas + " replica(s)";
    }
}
