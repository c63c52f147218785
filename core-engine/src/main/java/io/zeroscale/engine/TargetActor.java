package io.zeroscale.engine;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.zeroscale.engine.ActuationQueue.Kind;
import io.zeroscale.engine.ActuationQueue.Outcome;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.Resizable;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target's actor: a mailbox drained by one logical thread at a time, so the automaton and all
 * of the target's state need no locks. Everything that happens to the target (observations,
 * signals, gateway counters, timers, call results, leadership changes) arrives as a message. This
 * class is the wiring; the parts live next to it:
 *
 * <ul>
 *   <li>{@link TargetView}: what the target knows, and the context its automaton reads;
 *   <li>{@link SignalPoller}: fetching the policy's signals;
 *   <li>{@link SafetyRules}: what every decision is checked against before anything acts on it;
 *   <li>{@link ActuationQueue}: the target's orchestrator calls, one at a time, in decision order;
 *   <li>{@link ActorTimers}: the automaton's timers.
 * </ul>
 *
 * <p>Leadership: only the leader writes (scale, pause, resume, resize) and sends alerts; a follower
 * keeps deciding, because its gateway still needs routes and its held requests still need answers
 * ({@code FailHeld}), and it may wake a target from zero only through {@link ConditionalWake}. A
 * daemon that becomes the leader restarts the automaton from {@code Start} with a fresh
 * observation, so nothing it decided as a follower (or long ago as a leader) is taken as applied.
 */
final class TargetActor {
    private static final Logger log = LoggerFactory.getLogger(TargetActor.class);
    private static final Duration OBSERVE_RETRY = Duration.ofSeconds(2);

    private final TargetSpec spec;
    private final Orchestrator orchestrator;
    private final Actuator actuator;
    private final Engine engine;
    private final Scheduler scheduler;
    private final Executor dispatcher;
    private final Leadership leadership;
    private final SignalPoller poller;
    private final ActuationQueue calls;
    private final ActorTimers timers;
    private final TargetView view;

    private final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicReference<@Nullable RequestStats> pendingStats = new AtomicReference<>();
    private final List<Subscription> subscriptions = new ArrayList<>();

    // Actor-confined state: touched only from inside the mailbox loop.
    private Automaton automaton;
    private boolean started;
    private boolean closed;
    private boolean leader;
    private @Nullable Decision applied;
    private @Nullable Route publishedRoute;
    /** The replica count last asked of the orchestrator; -1 when unknown (none yet, or it failed). */
    private int requestedReplicas = -1;
    /** Scale calls queued or running; while there are any, drift is not corrected. */
    private int pendingScales;
    private @Nullable Boolean requestedPaused;
    private @Nullable ResourceProfile requestedProfile;
    private @Nullable String lastSafetyHold;
    private boolean automationPaused;
    /** The workload changed while automation was paused; the automaton hears of it on resume. */
    private boolean observationMissed;
    private @Nullable Integer overrideReplicas;
    private @Nullable Instant overrideUntil;
    /** A follower asked for a conditional wake and has not yet seen a replica since. */
    private boolean wakeAsked;
    private boolean wakeUnavailableReported;
    private volatile TargetStatus status;

    TargetActor(
            TargetSpec spec,
            Automaton automaton,
            Orchestrator orchestrator,
            Actuator actuator,
            Map<String, MetricSource> sources,
            Engine engine,
            Leadership leadership,
            Scheduler scheduler,
            Executor dispatcher,
            Executor blocking) {
        this.spec = spec;
        this.automaton = automaton;
        this.orchestrator = orchestrator;
        this.actuator = actuator;
        this.engine = engine;
        this.leadership = leadership;
        this.scheduler = scheduler;
        this.dispatcher = dispatcher;
        this.poller = new SignalPoller(spec.policy().signals().values(), sources, scheduler, blocking,
                (name, value) -> post(() -> onSignal(name, value)));
        this.calls = new ActuationQueue(spec.name(), blocking, leadership);
        this.timers = new ActorTimers(scheduler, this::post, name -> deliver(new Event.TimerFired(name)));
        this.view = new TargetView(spec.ref(), spec.policy().signals().keySet(), scheduler, timers, this::desiredReplicas);
        this.status = snapshot("not observed yet");
    }

    // ---- mailbox -------------------------------------------------------------------------------

    void post(Runnable message) {
        mailbox.add(message);
        if (draining.compareAndSet(false, true)) {
            try {
                dispatcher.execute(this::drain);
            } catch (RejectedExecutionException e) {
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
            leader = leadership.isLeader();
            if (orchestrator instanceof Endpoints endpoints) {
                subscriptions.add(endpoints.watch(spec.ref(), event -> post(() -> onWorkloadEvent(event))));
            }
            subscriptions.addAll(poller.subscribe());
            subscriptions.add(scheduler.scheduleAtFixedRate(spec.policy().tick(), () -> post(this::onTick)));
            observeNow();
        });
    }

    void close() {
        post(() -> {
            closed = true;
            subscriptions.forEach(Subscription::close);
            subscriptions.clear();
            timers.cancelAll();
            calls.close();
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
                    view.requests(newest);
                    deliver(new Event.RequestsChanged());
                }
            });
        }
    }

    void onDrained(List<Endpoint> endpoints) {
        post(() -> deliver(new Event.Drained(endpoints)));
    }

    void onEndpointRefused(Endpoint endpoint, String reason) {
        post(() -> {
            log.info("target {}: endpoint {} refused a request ({}); observing again", spec.name(), endpoint, reason);
            observeNow();
        });
    }

    /** Leadership may have changed: re-read it on the actor. */
    void onLeadershipChanged() {
        post(this::checkLeadership);
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
                    deliver(new Event.ObservedChanged(view.observed()));
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
                            + (expiry == null ? "" : " for " + Durations.format(expiry)));
            Decision last = applied;
            if (last != null) {
                apply(automaton.state(), last.withActions());
            }
        });
    }

    private void checkLeadership() {
        boolean now = leadership.isLeader();
        if (closed || now == leader) {
            return;
        }
        leader = now;
        if (!now) {
            journal(JournalEntry.Kind.LEADERSHIP, "no longer the leader: routes go on, writes stop");
            refreshStatus();
            return;
        }
        // Whatever was decided before (as a follower, or as a leader long ago) may be stale: the
        // previous leader may have scaled since. Start over from what the backend shows now.
        journal(JournalEntry.Kind.LEADERSHIP, "became the leader: restarting the automaton from Start with a fresh observation");
        timers.cancelAll();
        automaton = engine.createAutomaton(spec);
        started = false;
        applied = null;
        requestedReplicas = -1;
        requestedPaused = null;
        requestedProfile = null;
        lastSafetyHold = null;
        observationMissed = false;
        wakeAsked = false;
        refreshStatus();
        observeNow();
    }

    private void onWorkloadEvent(WorkloadEvent event) {
        switch (event) {
            case WorkloadEvent.Changed changed -> onObserved(changed.state());
            case WorkloadEvent.ReplicaFailed failed -> {
                journal(JournalEntry.Kind.ACTUATION_FAILED, "replica " + failed.replica() + " failed: " + failed.reason());
                deliver(new Event.ReplicaFailed(failed.replica(), failed.reason()));
            }
        }
    }

    private void onObserved(ObservedState state) {
        if (closed) {
            return;
        }
        boolean differs = view.observed(state);
        if (state.replicas() > 0) {
            wakeAsked = false;
        }
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
        Decision last = applied;
        if (leader && last != null && pendingScales == 0 && state.replicas() < last.replicas()
                && requestedReplicas == last.replicas()) {
            actuateScale(last.replicas(), "observed " + state.replicas() + " replicas, want " + last.replicas());
        }
    }

    private void onSignal(String name, SignalValue value) {
        view.signal(name, value);
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
        poller.poll();
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
        Decision last = applied;
        if (leader && started && last != null && pendingScales == 0 && requestedReplicas >= 0
                && view.observed().replicas() != last.replicas()) {
            actuateScale(last.replicas(), "reconcile: observed " + view.observed().replicas() + ", want " + last.replicas());
        }
    }

    private void observeNow() {
        calls.submit(Kind.READ, "observe " + spec.ref(), "observe", () -> orchestrator.observe(spec.ref()),
                outcome -> post(() -> {
                    switch (outcome) {
                        case Outcome.Done<ObservedState> done -> onObserved(done.value());
                        case Outcome.Failed<ObservedState> failed -> onObservationFailed(failed.error());
                        case Outcome.Skipped<ObservedState> skipped -> {} // reads are never skipped
                    }
                }));
    }

    private void onObservationFailed(RuntimeException error) {
        if (closed) {
            return;
        }
        String reason = "observing " + spec.ref() + " failed: " + error.getMessage();
        if (!view.observationStale()) {
            log.warn("target {}: {}", spec.name(), reason, error);
            journal(JournalEntry.Kind.ACTUATION_FAILED, reason);
        }
        view.observationFailed();
        if (!started) {
            // Never start from a guess: wait until the workload can be seen.
            subscriptions.add(scheduler.schedule(OBSERVE_RETRY, () -> post(this::observeNow)));
            refreshStatus();
            return;
        }
        deliver(new Event.ObservationFailed(reason));
    }

    // ---- automaton and decisions -----------------------------------------------------------------

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
            decision = automaton.onEvent(event, view);
        } catch (ZeroscaleException e) {
            log.error("target {}: automaton rejected {} in state {}", spec.name(), event, before, e);
            journal(JournalEntry.Kind.SAFETY, "automaton error in " + before + ": " + e.getMessage());
            refreshStatus();
            return;
        }
        apply(before, decision);
        Decision last = applied;
        engine.decided(spec.ref(), event, last == null ? decision : last);
    }

    private void apply(String stateBefore, Decision decision) {
        Decision previous = applied;
        SafetyRules.Verdict verdict = SafetyRules.enforce(decision, new SafetyRules.Inputs(spec.policy().bounds(),
                previous != null ? previous.replicas() : view.observed().replicas(), overrideReplicas, view.observed(),
                view.observationStale(), view.requests(), view.signals()));
        Decision safe = verdict.decision();
        String held = verdict.zeroHeld();
        if (held != null && !held.equals(lastSafetyHold)) {
            engine.telemetry().safetyHold(spec.name());
            journal(JournalEntry.Kind.SAFETY, "kept " + safe.replicas() + " replicas instead of 0: " + held);
        }
        lastSafetyHold = held;
        boolean stateChanged = !stateBefore.equals(automaton.state());
        boolean effectChanged = previous == null || !safe.sameEffect(previous);
        applied = safe;
        if (stateChanged || effectChanged) {
            engine.telemetry().decision(spec.name(), stateBefore, automaton.state(), safe.replicas(), safe.reason());
            journal(JournalEntry.Kind.DECISION, (stateChanged ? stateBefore + " -> " + automaton.state() + ": " : "") + safe.reason());
        }
        for (Action action : safe.actions()) {
            switch (action) {
                case Action.Alert alert -> {
                    if (leader) {
                        journal(JournalEntry.Kind.ALERT, alert.severity() + ": " + alert.message());
                        engine.alert(spec, alert);
                    } else {
                        // The leader raises the same alert; a follower's would page twice.
                        journal(JournalEntry.Kind.ALERT, alert.severity() + ": " + alert.message() + " (not sent: not the leader)");
                    }
                }
                case Action.FailHeld fail -> {
                    // Answers this daemon's own gateway's held requests: every replica does that for its own.
                    journal(JournalEntry.Kind.FAILED_HELD, "held requests answered " + fail.status() + ": " + fail.reason());
                    engine.failHeld(spec.ref(), fail.status(), fail.reason());
                }
            }
        }
        // Routes go on without leadership: every daemon replica serves its own gateway.
        publishRoute();
        if (leader) {
            actuate(safe);
        } else {
            wakeAsFollower(safe);
        }
        refreshStatus();
    }

    /**
     * Queues the calls that bring the workload to {@code safe}, in this order: resume, scale,
     * pause, resize (replicas are unfrozen before their count changes, frozen after it settled).
     */
    private void actuate(Decision safe) {
        boolean pauseChanged = !Objects.equals(requestedPaused, safe.paused()) && (requestedPaused != null || safe.paused());
        if (pauseChanged && !safe.paused()) {
            actuatePause(false);
        }
        if (safe.replicas() != requestedReplicas) {
            if (requestedReplicas < 0 && safe.replicas() == view.observed().replicas()) {
                requestedReplicas = safe.replicas(); // already running what we want: no call
            } else {
                actuateScale(safe.replicas(), safe.reason());
            }
        }
        if (pauseChanged && safe.paused()) {
            actuatePause(true);
        }
        ResourceProfile profile = safe.profile();
        if (profile != null && !Objects.equals(requestedProfile, profile)) {
            actuateResize(profile);
        }
    }

    private void publishRoute() {
        Decision last = applied;
        if (last == null) {
            return;
        }
        Route route = SafetyRules.route(last.routing(), view.observed());
        if (!route.equals(publishedRoute)) {
            publishedRoute = route;
            engine.publishRoute(spec.ref(), route);
        }
    }

    // ---- actuation -----------------------------------------------------------------------------

    private void actuateScale(int replicas, String why) {
        requestedReplicas = replicas;
        String what = "scale " + spec.ref() + " to " + replicas;
        boolean replaced = calls.submit(Kind.WRITE, what, "scale", () -> {
            Instant begin = scheduler.clock().instant();
            var span = engine.telemetry().startActuation(spec.name(), spec.ref().orchestrator(), "scale", replicas);
            try {
                actuator.run(what, () -> orchestrator.scale(spec.ref(), replicas));
            } catch (RuntimeException e) {
                engine.telemetry().actuation(spec.ref().orchestrator(), "scale", false, Duration.between(begin, scheduler.clock().instant()));
                engine.telemetry().endActuation(span, e);
                throw e;
            }
            engine.telemetry().actuation(spec.ref().orchestrator(), "scale", true, Duration.between(begin, scheduler.clock().instant()));
            engine.telemetry().endActuation(span, null);
            return replicas;
        }, outcome -> post(() -> afterScale(replicas, outcome)));
        if (!replaced) {
            pendingScales++;
        }
        log.debug("target {}: scaling to {} ({})", spec.name(), replicas, why);
    }

    private void afterScale(int replicas, Outcome<Integer> outcome) {
        pendingScales--;
        switch (outcome) {
            case Outcome.Done<Integer> done -> {
                if (!(orchestrator instanceof Endpoints)) {
                    observeNow();
                }
            }
            case Outcome.Skipped<Integer> skipped -> {
                if (requestedReplicas == replicas) {
                    requestedReplicas = -1;
                }
                log.info("target {}: {}", spec.name(), skipped.reason());
            }
            case Outcome.Failed<Integer> failed -> {
                RuntimeException error = failed.error();
                if (requestedReplicas == replicas) {
                    requestedReplicas = -1;
                }
                journal(JournalEntry.Kind.ACTUATION_FAILED, "scale to " + replicas + " failed: " + error.getMessage());
                if (error.getCause() instanceof CallNotPermittedException) {
                    // Expected while the orchestrator is down; its failures were logged when they happened.
                    log.warn("target {}: scale to {} not attempted: {}", spec.name(), replicas, error.getMessage());
                } else {
                    log.warn("target {}: scale to {} failed", spec.name(), replicas, error);
                }
                deliver(new Event.ActuationFailed(error.getMessage() == null ? error.toString() : error.getMessage()));
            }
        }
    }

    private void actuatePause(boolean pause) {
        requestedPaused = pause;
        if (!(orchestrator instanceof Pausable pausable)) {
            journal(JournalEntry.Kind.SAFETY, "orchestrator '" + spec.ref().orchestrator() + "' cannot pause; keeping replicas running");
            return;
        }
        String what = (pause ? "pause " : "resume ") + spec.ref();
        calls.submit(Kind.WRITE, what, null, () -> {
            actuator.run(what, () -> {
                if (pause) {
                    pausable.pause(spec.ref());
                } else {
                    pausable.resume(spec.ref());
                }
            });
            return pause;
        }, outcome -> post(() -> {
            if (outcome instanceof Outcome.Done<Boolean>) {
                return;
            }
            if (Objects.equals(requestedPaused, pause)) {
                requestedPaused = null;
            }
            if (outcome instanceof Outcome.Failed<Boolean> failed) {
                journal(JournalEntry.Kind.ACTUATION_FAILED, (pause ? "pause" : "resume") + " failed: " + failed.error().getMessage());
                deliver(new Event.ActuationFailed(String.valueOf(failed.error().getMessage())));
            }
        }));
    }

    private void actuateResize(ResourceProfile profile) {
        requestedProfile = profile;
        if (!(orchestrator instanceof Resizable resizable)) {
            journal(JournalEntry.Kind.SAFETY, "orchestrator '" + spec.ref().orchestrator() + "' cannot resize; profile "
                    + profile.name() + " ignored");
            return;
        }
        String what = "resize " + spec.ref() + " to " + profile.name();
        calls.submit(Kind.WRITE, what, null, () -> {
            actuator.run(what, () -> resizable.resize(spec.ref(), profile));
            return profile;
        }, outcome -> post(() -> {
            if (outcome instanceof Outcome.Done<ResourceProfile>) {
                return;
            }
            if (Objects.equals(requestedProfile, profile)) {
                requestedProfile = null;
            }
            if (outcome instanceof Outcome.Failed<ResourceProfile> failed) {
                journal(JournalEntry.Kind.ACTUATION_FAILED, "resize failed: " + failed.error().getMessage());
            }
        }));
    }

    /**
     * A follower's only write: when it holds requests for a target observed at zero that its
     * automaton wants up, it asks for {@code max(current, 1)} through {@link ConditionalWake}, so
     * the requests need not wait for the leader (or an election).
     */
    private void wakeAsFollower(Decision safe) {
        if (safe.replicas() == 0 || view.observed().replicas() > 0 || view.requests().held() == 0 || wakeAsked) {
            return;
        }
        if (!(orchestrator instanceof ConditionalWake wake)) {
            if (!wakeUnavailableReported) {
                wakeUnavailableReported = true;
                journal(JournalEntry.Kind.SAFETY, "not the leader, and orchestrator '" + spec.ref().orchestrator()
                        + "' cannot wake conditionally: held requests wait for the leader");
            }
            return;
        }
        wakeAsked = true;
        String what = "wake " + spec.ref() + " if at zero";
        calls.submit(Kind.CONDITIONAL_WAKE, what, "wake", () -> actuator.call(what, () -> wake.wakeIfZero(spec.ref())),
                outcome -> post(() -> {
                    switch (outcome) {
                        case Outcome.Done<Boolean> done -> {
                            if (done.value()) {
                                journal(JournalEntry.Kind.DECISION, "not the leader: woke from zero (conditional, max(current, 1))");
                            }
                            if (!(orchestrator instanceof Endpoints)) {
                                observeNow();
                            }
                        }
                        case Outcome.Failed<Boolean> failed -> {
                            wakeAsked = false;
                            journal(JournalEntry.Kind.ACTUATION_FAILED, "conditional wake failed: " + failed.error().getMessage());
                        }
                        case Outcome.Skipped<Boolean> skipped -> wakeAsked = false;
                    }
                }));
    }

    // ---- journal and status ----------------------------------------------------------------------

    private Instant now() {
        return scheduler.clock().instant();
    }

    private int desiredReplicas() {
        Decision last = applied;
        return last == null ? view.observed().replicas() : last.replicas();
    }

    private void journal(JournalEntry.Kind kind, String message) {
        Decision current = applied;
        engine.journal().append(new JournalEntry(now(), spec.ref(), kind, automaton.state(),
                current == null ? view.observed().replicas() : current.replicas(),
                current == null ? Routing.HOLD : current.routing(), message));
    }

    private void refreshStatus() {
        Decision last = applied;
        status = snapshot(last == null ? (started ? "started" : "waiting for the first observation") : last.reason());
    }

    private TargetStatus snapshot(String reason) {
        Decision current = applied;
        ObservedState observed = view.observed();
        return new TargetStatus(spec.name(), spec.ref(), started, automaton.state(),
                current == null ? observed.replicas() : current.replicas(), observed.replicas(), observed.readyReplicas(),
                view.observationStale(), current == null ? Routing.HOLD : current.routing(), automationPaused, overrideReplicas,
                overrideUntil, view.allSignals(), view.requests(), reason, now());
    }
}
