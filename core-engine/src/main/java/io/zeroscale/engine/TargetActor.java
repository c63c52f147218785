package io.zeroscale.engine;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.automaton.Timers;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.PushMetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.Resizable;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target's actor: a mailbox drained by one logical thread at a time, so the automaton and all
 * of the target's state need no locks. Everything that happens to the target (observations,
 * signals, gateway counters, timers, actuation results) arrives as a message; blocking calls to
 * orchestrators and metric sources run on the blocking executor and post their results back.
 *
 * <p>This is also where the engine's safety rules wrap every automaton: bounds, no scale to zero
 * on unknown data or with requests pending, and wake-ups ending only on observed readiness.
 */
final class TargetActor implements TargetContext {
    private static final Logger log = LoggerFactory.getLogger(TargetActor.class);
    private static final Duration ARRIVAL_WINDOW = Duration.ofMinutes(1);
    private static final Duration OBSERVE_RETRY = Duration.ofSeconds(2);

    private final TargetSpec spec;
    private final Automaton automaton;
    private final Orchestrator orchestrator;
    private final Actuator actuator;
    private final Map<String, MetricSource> sources;
    private final Engine engine;
    private final Scheduler scheduler;
    private final Executor dispatcher;
    private final Executor blocking;

    private final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicReference<@Nullable RequestStats> pendingStats = new AtomicReference<>();
    private final List<Subscription> subscriptions = new ArrayList<>();

    // Actor-confined state: touched only from inside the mailbox loop.
    private ObservedState observed;
    private boolean observationStale;
    private boolean started;
    private boolean closed;
    private final Map<String, SignalValue> signals = new LinkedHashMap<>();
    private RequestStats requests = RequestStats.IDLE;
    private final ArrayDeque<ArrivalSample> arrivals = new ArrayDeque<>();
    private final Map<String, TimerEntry> timers = new HashMap<>();
    private long timerGeneration;
    private @Nullable Decision applied;
    private @Nullable Route publishedRoute;
    private int requestedReplicas = -1;
    private boolean scaling;
    private @Nullable Boolean requestedPaused;
    private @Nullable Object requestedProfile;
    private @Nullable String lastSafetyHold;
    private boolean automationPaused;
    /** The workload changed while automation was paused; the automaton hears of it on resume. */
    private boolean observationMissed;
    private @Nullable Integer overrideReplicas;
    private @Nullable Instant overrideUntil;
    private final StartFailures startFailures;
    /** The journal entry of the current failure streak, updated in place. */
    private @Nullable JournalEntry streakEntry;
    private Subscription backoffEnd = Subscription.NONE;
    private volatile TargetStatus status;

    TargetActor(
            TargetSpec spec,
            Automaton automaton,
            Orchestrator orchestrator,
            Actuator actuator,
            Map<String, MetricSource> sources,
            Engine engine,
            Scheduler scheduler,
            Executor dispatcher,
            Executor blocking) {
        this.spec = spec;
        this.automaton = automaton;
        this.orchestrator = orchestrator;
        this.actuator = actuator;
        this.sources = Map.copyOf(sources);
        this.engine = engine;
        this.scheduler = scheduler;
        this.dispatcher = dispatcher;
        this.blocking = blocking;
        Instant now = scheduler.clock().instant();
        this.observed = ObservedState.zero(now);
        this.startFailures = new StartFailures(spec.policy().startFailures());
        for (String signal : spec.policy().signals().keySet()) {
            signals.put(signal, SignalValue.unknown("no value yet", now));
        }
        this.status = snapshot("not observed yet");
    }

    // ---- mailbox -------------------------------------------------------------------------------

    void post(Runnable message) {
        mailbox.add(message);
        if (draining.compareAndSet(false, true)) {
            try {
                dispatcher.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The engine is closing: its executor is gone, and so is the need to decide.
                draining.set(false);
            }
        }
    }

    private void drain() {
        while (true) {
            Runnable message;
            try {
                while ((message = mailbox.poll()) != null) {
                    try {
                        message.run();
                    } catch (RuntimeException e) {
                        log.error("target {}: message failed", spec.name(), e);
                    }
                }
            } finally {
                // Even an Error must not leave the actor marked busy forever.
                draining.set(false);
            }
            // A message may have arrived after the last poll but before the flag was cleared.
            if (mailbox.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }

    // ---- lifecycle -----------------------------------------------------------------------------

    /** Starts observing the workload, pulling signals and ticking; the automaton starts once observed. */
    void start() {
        post(() -> {
            if (orchestrator instanceof Endpoints endpoints) {
                subscriptions.add(endpoints.watch(spec.ref(), event -> post(() -> onWorkloadEvent(event))));
            }
            for (SignalSpec signal : spec.policy().signals().values()) {
                MetricSource source = sources.get(signal.source());
                if (source instanceof PushMetricSource push) {
                    subscriptions.add(push.subscribe(signal.query(), value -> post(() -> onSignal(signal.name(), value))));
                }
            }
            subscriptions.add(scheduler.scheduleAtFixedRate(spec.policy().tick(), () -> post(this::onTick)));
            observeNow();
        });
    }

    void close() {
        post(() -> {
            closed = true;
            subscriptions.forEach(Subscription::close);
            subscriptions.clear();
            timers.values().forEach(timer -> timer.subscription.close());
            timers.clear();
            backoffEnd.close();
        });
    }

    TargetSpec spec() {
        return spec;
    }

    TargetStatus status() {
        return status;
    }

    @Nullable Route route() {
        return publishedRoute;
    }

    // ---- inputs --------------------------------------------------------------------------------

    void onRequests(RequestStats stats) {
        // Coalesce: under load the gateway reports on every request; the actor needs only the newest.
        if (pendingStats.getAndSet(stats) == null) {
            post(() -> {
                RequestStats newest = pendingStats.getAndSet(null);
                if (newest != null) {
                    applyRequests(newest);
                }
            });
        }
    }

    void onDrained(List<io.zeroscale.spi.orchestrator.Endpoint> endpoints) {
        post(() -> deliver(new Event.Drained(endpoints)));
    }

    void onEndpointRefused(io.zeroscale.spi.orchestrator.Endpoint endpoint, String reason) {
        post(() -> {
            log.info("target {}: endpoint {} refused a request ({}); observing again", spec.name(), endpoint, reason);
            observeNow();
        });
    }

    void setAutomationPaused(boolean paused, String who) {
        post(() -> {
            boolean resumed = automationPaused && !paused;
            automationPaused = paused;
            journal(JournalEntry.Kind.OPERATOR, (paused ? "automation paused" : "automation resumed") + " by " + who);
            if (resumed && started && !closed) {
                // Hands back on: the automaton first sees what changed meanwhile, then the workload is
                // brought back to what was last decided, as a tick would.
                if (observationMissed) {
                    observationMissed = false;
                    deliver(new Event.ObservedChanged(observed));
                }
                reconcile();
            }
            refreshStatus();
        });
    }

    void setOverride(@Nullable Integer replicas, @Nullable Duration expiry, String who) {
        post(() -> {
            overrideReplicas = replicas;
            overrideUntil = replicas == null || expiry == null ? null : now().plus(expiry);
            journal(JournalEntry.Kind.OPERATOR, replicas == null
                    ? "manual override cleared by " + who
                    : "manual override to " + replicas + " replicas by " + who
                            + (expiry == null ? "" : " for " + io.zeroscale.spi.Durations.format(expiry)));
            if (applied != null) {
                apply(automaton.state(), applied.withActions());
            }
        });
    }

    private void applyRequests(RequestStats stats) {
        requests = stats;
        Instant now = now();
        arrivals.addLast(new ArrivalSample(now, stats.arrivals()));
        while (arrivals.size() > 2 && arrivals.peekFirst().at.isBefore(now.minus(ARRIVAL_WINDOW))) {
            arrivals.removeFirst();
        }
        deliver(new Event.RequestsChanged());
    }

    private void onWorkloadEvent(WorkloadEvent event) {
        switch (event) {
            case WorkloadEvent.Changed changed -> onObserved(changed.state());
            case WorkloadEvent.ReplicaFailed failed -> onReplicaFailed(failed);
        }
    }

    /**
     * Crash-loop handling: one journal entry per streak, restarts held back exponentially, and
     * once the policy gives up on the wake, held and new requests answered 503 with the reason
     * (through the route's refusal) and one alert.
     */
    private void onReplicaFailed(WorkloadEvent.ReplicaFailed failed) {
        if (closed) {
            return;
        }
        FailureStreak before = startFailures.streak();
        FailureStreak streak = startFailures.failed(failed, now());
        log.warn("target {}: {}; restarting no earlier than {}", spec.name(), streak.lastReason(), streak.nextAttemptAt());
        journalStreak(streak, null);
        if (streak.gaveUp() && (before == null || !before.gaveUp())) {
            Action.Alert alert = new Action.Alert(Action.Severity.CRITICAL, StartFailures.refusalReason(spec.name(), streak));
            journal(JournalEntry.Kind.ALERT, alert.severity() + ": " + alert.message());
            engine.alert(spec, alert);
        }
        backoffEnd.close();
        backoffEnd = scheduler.schedule(Duration.between(now(), streak.nextAttemptAt()), () -> post(this::onBackoffOver));
        publishRoute();
        deliver(new Event.ReplicaFailed(failed.replica(), streak.lastReason(), streak.failuresInARow(), streak.gaveUp(),
                streak.nextAttemptAt()));
    }

    private void onBackoffOver() {
        if (closed || startFailures.holdsBackUntil(now()) != null) {
            return;
        }
        publishRoute(); // the refusal ends: requests are held (and wake the target) again
        if (!automationPaused) {
            reconcile();
        }
        refreshStatus();
    }

    private void journalStreak(FailureStreak streak, @Nullable String ended) {
        JournalEntry previous = streakEntry;
        Decision current = applied;
        JournalEntry entry = new JournalEntry(now(), spec.ref(), JournalEntry.Kind.START_FAILURES, automaton.state(),
                current == null ? observed.replicas() : current.replicas(), current == null ? Routing.HOLD : current.routing(),
                streak.describe(ended));
        if (previous == null) {
            engine.journal().append(entry);
        } else {
            engine.journal().update(previous, entry);
        }
        streakEntry = ended == null ? entry : null;
    }

    private void onObserved(ObservedState state) {
        if (closed) {
            return;
        }
        boolean differs = state.differsFrom(observed) || observationStale;
        if (state.readyReplicas() > observed.readyReplicas()) {
            FailureStreak ended = startFailures.ready();
            if (ended != null) {
                backoffEnd.close();
                journalStreak(ended, "a replica became ready; backoff reset");
            }
        }
        observed = state;
        observationStale = false;
        if (!started) {
            started = true;
            deliver(new Event.Start(state));
            return;
        }
        if (automationPaused) {
            // Paused means hands off: no decision and no reconciling until an operator resumes.
            observationMissed |= differs;
            publishRoute();
            refreshStatus();
            return;
        }
        if (differs) {
            deliver(new Event.ObservedChanged(state));
        }
        // A workload stopped behind our back: bring it back to what we asked for.
        if (applied != null && !scaling && state.replicas() < applied.replicas() && requestedReplicas == applied.replicas()) {
            actuateScale(applied.replicas(), "observed " + state.replicas() + " replicas, want " + applied.replicas());
        }
    }

    private void onSignal(String name, SignalValue value) {
        signals.put(name, value);
        deliver(new Event.SignalChanged(name));
    }

    private void onTick() {
        if (closed) {
            return;
        }
        Instant now = now();
        if (overrideUntil != null && !now.isBefore(overrideUntil)) {
            overrideReplicas = null;
            overrideUntil = null;
            journal(JournalEntry.Kind.OPERATOR, "manual override expired");
        }
        for (SignalSpec signal : spec.policy().signals().values()) {
            MetricSource source = sources.get(signal.source());
            if (source == null || source instanceof PushMetricSource) {
                continue;
            }
            blocking.execute(() -> {
                SignalValue value;
                try {
                    value = source.query(signal.query(), signal.window());
                } catch (RuntimeException e) {
                    value = SignalValue.unknown("source '" + signal.source() + "' failed: " + e.getMessage(), scheduler.clock().instant());
                }
                SignalValue result = value;
                post(() -> onSignal(signal.name(), result));
            });
        }
        if (!(orchestrator instanceof Endpoints) || !started) {
            observeNow();
        }
        if (!automationPaused) {
            reconcile();
        }
        deliver(new Event.Tick());
    }

    /** Scales the workload back to the last decision when the observation says it drifted. */
    private void reconcile() {
        if (started && applied != null && !scaling && requestedReplicas >= 0 && observed.replicas() != applied.replicas()) {
            actuateScale(applied.replicas(), "reconcile: observed " + observed.replicas() + ", want " + applied.replicas());
        }
    }

    private void observeNow() {
        blocking.execute(() -> {
            try {
                ObservedState state = orchestrator.observe(spec.ref());
                post(() -> onObserved(state));
            } catch (RuntimeException e) {
                post(() -> onObservationFailed(e));
            }
        });
    }

    private void onObservationFailed(RuntimeException error) {
        if (closed) {
            return;
        }
        String reason = "observing " + spec.ref() + " failed: " + error.getMessage();
        if (!observationStale) {
            log.warn("target {}: {}", spec.name(), reason, error);
            journal(JournalEntry.Kind.ACTUATION_FAILED, reason);
        }
        observationStale = true;
        if (!started) {
            // Never start from a guess: wait until the workload can be seen (safety rule 5).
            subscriptions.add(scheduler.schedule(OBSERVE_RETRY, () -> post(this::observeNow)));
            refreshStatus();
            return;
        }
        deliver(new Event.ObservationFailed(reason));
    }

    // ---- automaton and safety --------------------------------------------------------------------

    private void deliver(Event event) {
        if (closed || (!started && !(event instanceof Event.Start))) {
            refreshStatus();
            return;
        }
        if (automationPaused && !(event instanceof Event.Start)) {
            publishRoute();
            refreshStatus();
            return;
        }
        String before = automaton.state();
        Decision decision;
        try {
            decision = automaton.onEvent(event, this);
        } catch (ZeroscaleException e) {
            log.error("target {}: automaton rejected {} in state {}", spec.name(), event, before, e);
            journal(JournalEntry.Kind.SAFETY, "automaton error in " + before + ": " + e.getMessage());
            refreshStatus();
            return;
        }
        apply(before, decision);
        engine.decided(spec.ref(), event, applied == null ? decision : applied);
    }

    private void apply(String stateBefore, Decision decision) {
        Decision safe = enforce(decision);
        boolean stateChanged = !stateBefore.equals(automaton.state());
        boolean effectChanged = applied == null || !safe.sameEffect(applied);
        applied = safe;
        if (stateChanged || effectChanged) {
            engine.telemetry().decision(spec.name(), stateBefore, automaton.state(), safe.replicas(), safe.reason());
            journal(JournalEntry.Kind.DECISION, (stateChanged ? stateBefore + " -> " + automaton.state() + ": " : "") + safe.reason());
        }
        for (Action action : safe.actions()) {
            switch (action) {
                case Action.Alert alert -> {
                    journal(JournalEntry.Kind.ALERT, alert.severity() + ": " + alert.message());
                    engine.alert(spec, alert);
                }
                case Action.FailHeld fail -> {
                    journal(JournalEntry.Kind.FAILED_HELD, "held requests answered " + fail.status() + ": " + fail.reason());
                    engine.failHeld(spec.ref(), fail.status(), fail.reason());
                }
            }
        }
        publishRoute();
        if (safe.replicas() != requestedReplicas) {
            if (requestedReplicas < 0 && safe.replicas() == observed.replicas()) {
                requestedReplicas = safe.replicas(); // already running what we want: no call
            } else {
                actuateScale(safe.replicas(), safe.reason());
            }
        }
        if (!Objects.equals(requestedPaused, safe.paused()) && (requestedPaused != null || safe.paused())) {
            actuatePause(safe.paused());
        }
        if (safe.profile() != null && !Objects.equals(requestedProfile, safe.profile())) {
            actuateResize(safe.profile());
        }
        refreshStatus();
    }

    /** Safety rules 1-3: within bounds; never to zero on unknown data or with requests pending. */
    private Decision enforce(Decision decision) {
        int replicas = spec.policy().bounds().clamp(decision.replicas());
        Routing routing = decision.routing();
        String reason = decision.reason();
        if (overrideReplicas != null) {
            replicas = Math.min(overrideReplicas, spec.policy().bounds().max());
            reason = "manual override: " + replicas + " replicas (automaton wanted " + decision.replicas() + ")";
            if (replicas > 0 && routing == Routing.HOLD && !observed.readyEndpoints().isEmpty()) {
                routing = Routing.FORWARD;
            }
        }
        int current = applied != null ? applied.replicas() : observed.replicas();
        if (replicas == 0 && current > 0) {
            String unsafe = unsafeZeroReason();
            if (unsafe != null) {
                if (!unsafe.equals(lastSafetyHold)) {
                    engine.telemetry().safetyHold(spec.name());
                    journal(JournalEntry.Kind.SAFETY, "kept " + current + " replicas instead of 0: " + unsafe);
                }
                lastSafetyHold = unsafe;
                replicas = current;
                reason = "kept " + current + " replicas: " + unsafe + " (" + decision.reason() + ")";
                if (routing == Routing.HOLD) {
                    routing = Routing.FORWARD;
                }
            } else {
                lastSafetyHold = null;
            }
        } else {
            lastSafetyHold = null;
        }
        if (replicas == decision.replicas() && routing == decision.routing() && reason.equals(decision.reason())) {
            return decision;
        }
        return new Decision(replicas, routing, decision.paused(), decision.profile(), reason, decision.actions());
    }

    private @Nullable String unsafeZeroReason() {
        // Held requests the gateway is answering with a crash-loop refusal need no replica.
        if (requests.held() > 0 && startFailures.refusal(spec.name(), now()) == null) {
            return requests.held() + " request(s) held";
        }
        if (requests.inFlight() > 0) {
            return requests.inFlight() + " request(s) in flight";
        }
        if (observationStale) {
            return "the workload cannot be observed";
        }
        for (Map.Entry<String, SignalValue> signal : signals.entrySet()) {
            if (signal.getValue() instanceof SignalValue.Unknown unknown) {
                return "signal '" + signal.getKey() + "' is unknown (" + unknown.reason() + ")";
            }
        }
        return null;
    }

    private void publishRoute() {
        if (applied == null) {
            return;
        }
        Route route = switch (applied.routing()) {
            case FORWARD -> new Route(Routing.FORWARD, observed.readyEndpoints(), List.of());
            case HOLD -> Route.hold();
            case DRAIN -> new Route(Routing.DRAIN, List.of(), observed.readyEndpoints());
        };
        if (route.endpoints().isEmpty()) {
            route = route.withRefusal(startFailures.refusal(spec.name(), now()));
        }
        if (!route.equals(publishedRoute)) {
            publishedRoute = route;
            engine.publishRoute(spec.ref(), route);
        }
    }

    // ---- actuation -----------------------------------------------------------------------------

    private void actuateScale(int replicas, String why) {
        if (!engine.mayActuate(spec.ref(), observed, replicas)) {
            return;
        }
        if (replicas > observed.replicas() && startFailures.holdsBackUntil(now()) != null) {
            // Crash-loop backoff: onBackoffOver starts the replicas once it ends.
            requestedReplicas = replicas;
            return;
        }
        requestedReplicas = replicas;
        if (scaling) {
            return; // the running call's completion re-checks requestedReplicas
        }
        scaling = true;
        int target = replicas;
        blocking.execute(() -> {
            Instant begin = scheduler.clock().instant();
            var span = engine.telemetry().startActuation(spec.name(), spec.ref().orchestrator(), "scale", target);
            try {
                actuator.run("scale " + spec.ref() + " to " + target, () -> orchestrator.scale(spec.ref(), target));
                engine.telemetry().actuation(spec.ref().orchestrator(), "scale", true, Duration.between(begin, scheduler.clock().instant()));
                engine.telemetry().endActuation(span, null);
                post(() -> afterScale(target, null));
            } catch (RuntimeException e) {
                engine.telemetry().actuation(spec.ref().orchestrator(), "scale", false, Duration.between(begin, scheduler.clock().instant()));
                engine.telemetry().endActuation(span, e);
                post(() -> afterScale(target, e));
            }
        });
        log.debug("target {}: scaling to {} ({})", spec.name(), target, why);
    }

    private void afterScale(int replicas, @Nullable RuntimeException error) {
        scaling = false;
        if (error != null) {
            requestedReplicas = -1;
            journal(JournalEntry.Kind.ACTUATION_FAILED, "scale to " + replicas + " failed: " + error.getMessage());
            if (error.getCause() instanceof io.github.resilience4j.circuitbreaker.CallNotPermittedException) {
                // Expected while the orchestrator is down; its failures were logged when they happened.
                log.warn("target {}: scale to {} not attempted: {}", spec.name(), replicas, error.getMessage());
            } else {
                log.warn("target {}: scale to {} failed", spec.name(), replicas, error);
            }
            deliver(new Event.ActuationFailed(error.getMessage() == null ? error.toString() : error.getMessage()));
            return;
        }
        if (requestedReplicas != replicas && requestedReplicas >= 0) {
            actuateScale(requestedReplicas, "a newer decision arrived while scaling");
            return;
        }
        if (!(orchestrator instanceof Endpoints)) {
            observeNow();
        }
    }

    private void actuatePause(boolean pause) {
        if (!(orchestrator instanceof Pausable pausable)) {
            journal(JournalEntry.Kind.SAFETY, "orchestrator '" + spec.ref().orchestrator() + "' cannot pause; keeping replicas running");
            requestedPaused = pause;
            return;
        }
        requestedPaused = pause;
        blocking.execute(() -> {
            try {
                actuator.run((pause ? "pause " : "resume ") + spec.ref(), () -> {
                    if (pause) {
                        pausable.pause(spec.ref());
                    } else {
                        pausable.resume(spec.ref());
                    }
                });
            } catch (RuntimeException e) {
                post(() -> {
                    requestedPaused = null;
                    journal(JournalEntry.Kind.ACTUATION_FAILED, (pause ? "pause" : "resume") + " failed: " + e.getMessage());
                    deliver(new Event.ActuationFailed(String.valueOf(e.getMessage())));
                });
            }
        });
    }

    private void actuateResize(io.zeroscale.spi.orchestrator.ResourceProfile profile) {
        requestedProfile = profile;
        if (!(orchestrator instanceof Resizable resizable)) {
            journal(JournalEntry.Kind.SAFETY, "orchestrator '" + spec.ref().orchestrator() + "' cannot resize; profile "
                    + profile.name() + " ignored");
            return;
        }
        blocking.execute(() -> {
            try {
                actuator.run("resize " + spec.ref() + " to " + profile.name(), () -> resizable.resize(spec.ref(), profile));
            } catch (RuntimeException e) {
                post(() -> {
                    requestedProfile = null;
                    journal(JournalEntry.Kind.ACTUATION_FAILED, "resize failed: " + e.getMessage());
                });
            }
        });
    }

    // ---- journal and status ----------------------------------------------------------------------

    private void journal(JournalEntry.Kind kind, String message) {
        Decision current = applied;
        engine.journal().append(new JournalEntry(now(), spec.ref(), kind, automaton.state(),
                current == null ? observed.replicas() : current.replicas(),
                current == null ? Routing.HOLD : current.routing(), message));
    }

    private void refreshStatus() {
        status = snapshot(applied == null ? (started ? "started" : "waiting for the first observation") : applied.reason());
    }

    private TargetStatus snapshot(String reason) {
        Decision current = applied;
        return new TargetStatus(spec.name(), spec.ref(), started, automaton.state(),
                current == null ? observed.replicas() : current.replicas(), observed.replicas(), observed.readyReplicas(),
                observationStale, current == null ? Routing.HOLD : current.routing(), automationPaused, overrideReplicas,
                overrideUntil, signalsView(), requests, reason, now(), startFailures.streak());
    }

    private Map<String, SignalValue> signalsView() {
        Map<String, SignalValue> all = new LinkedHashMap<>(signals);
        for (String reserved : PolicySpec.RESERVED_SIGNALS) {
            all.put(reserved, signal(reserved));
        }
        return all;
    }

    // ---- TargetContext ---------------------------------------------------------------------------

    @Override
    public TargetRef target() {
        return spec.ref();
    }

    @Override
    public Instant now() {
        return scheduler.clock().instant();
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
        return switch (signal) {
            case "inflight" -> SignalValue.known(requests.inFlight(), now());
            case "held" -> SignalValue.known(requests.held(), now());
            case "arrival-rate" -> SignalValue.known(arrivalRate(), now());
            default -> SignalValue.unknown("no signal named '" + signal + "'", now());
        };
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
        return applied == null ? observed.replicas() : applied.replicas();
    }

    @Override
    public Timers timers() {
        return timerView;
    }

    private final Timers timerView = new Timers() {
        @Override
        public void set(String name, Duration after) {
            cancel(name);
            long generation = ++timerGeneration;
            Subscription subscription = scheduler.schedule(after, () -> post(() -> fire(name, generation)));
            timers.put(name, new TimerEntry(generation, subscription));
        }

        @Override
        public void cancel(String name) {
            TimerEntry entry = timers.remove(name);
            if (entry != null) {
                entry.subscription.close();
            }
        }

        @Override
        public boolean isSet(String name) {
            return timers.containsKey(name);
        }
    };

    private void fire(String name, long generation) {
        TimerEntry entry = timers.get(name);
        if (entry == null || entry.generation != generation) {
            return; // cancelled or re-set after this firing was queued
        }
        timers.remove(name);
        deliver(new Event.TimerFired(name));
    }

    private record TimerEntry(long generation, Subscription subscription) {}

    private record ArrivalSample(Instant at, long count) {}
}
