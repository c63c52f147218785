package io.zeroscale.engine;

import io.zeroscale.engine.ActuationQueue.Kind;
import io.zeroscale.engine.ActuationQueue.Outcome;
import io.zeroscale.engine.history.ArrivalHistory;
import io.zeroscale.engine.history.PlannedPrewake;
import io.zeroscale.engine.history.PlansPrewakes;
import io.zeroscale.engine.history.SeasonalForecast;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *   <li>{@link WorkloadActuation}: which orchestrator calls a decision needs, and their outcomes;
 *   <li>{@link ActuationQueue}: the target's orchestrator calls, one at a time, in decision order;
 *   <li>{@link ActorTimers}: the automaton's timers;
 *   <li>{@link StartFailures}: the crash-loop backoff of replicas that fail before one is ready.
 * </ul>
 *
 * <p>Leadership: only the leader writes (scale, pause, resume, resize) and sends alerts; a follower
 * keeps deciding, because its gateway still needs routes and its held requests still need answers
 * ({@code FailHeld}), and it may wake a target from zero only through {@link ConditionalWake}. A
 * daemon that becomes the leader restarts the automaton from {@code Start} with a fresh
 * observation, so nothing it decided as a follower (or long ago as a leader) is taken as applied.
 * Every daemon counts failed starts from the events it watches (its gateway refuses requests with
 * the reason during the backoff), but only the leader restarts replicas and sends the crash-loop
 * alert; a follower never wakes a target conditionally while the backoff holds.
 */
final class TargetActor {
    private static final Logger log = LoggerFactory.getLogger(TargetActor.class);
    private static final Duration OBSERVE_RETRY = Duration.ofSeconds(2);

    private final TargetSpec spec;
    private final Orchestrator orchestrator;
    private final Engine engine;
    private final Scheduler scheduler;
    private final Executor dispatcher;
    private final Leadership leadership;
    private final SignalPoller poller;
    private final ActuationQueue calls;
    private final ActorTimers timers;
    private final TargetView view;
    private final WorkloadActuation actuation;
    private final StartFailures startFailures;
    private final ArrivalHistory history;
    /** Why the history file was set aside at load, journalled once on start; or null. */
    private @Nullable String historyProblem;

    private final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** Each gateway's newest counters not yet taken by the actor (coalesced: only the newest matter). */
    private final ConcurrentHashMap<String, RequestStats> pendingStats = new ConcurrentHashMap<>();
    private final AtomicBoolean statsPosted = new AtomicBoolean();
    /** Every gateway's reports; handed to the actor that replaces this one when the target is reconfigured. */
    private final TrafficReports traffic;
    /**
     * Each gateway's newest counters, taken or not: a successor replays them onto the reports it
     * takes over, so counters this actor had not taken yet are not lost (replaying a taken one
     * changes nothing: the reports count increases).
     */
    private final ConcurrentHashMap<String, RequestStats> latestStats = new ConcurrentHashMap<>();
    private final List<Subscription> subscriptions = new ArrayList<>();

    // Actor-confined state: touched only from inside the mailbox loop.
    private Automaton automaton;
    /** {@link #start()} ran: leadership is tracked from then on. */
    private boolean begun;
    private boolean started;
    private boolean closed;
    private boolean leader;
    private @Nullable Decision applied;
    private @Nullable Route publishedRoute;
    /** The id of the newest drain this actor started ({@link Route#drain()}). */
    private long drainId;
    private @Nullable String lastSafetyHold;
    private boolean automationPaused;
    /** The workload changed while automation was paused; the automaton hears of it on resume. */
    private boolean observationMissed;
    private @Nullable Integer overrideReplicas;
    private @Nullable Instant overrideUntil;
    /** The journal entry of the current failure streak, updated in place. */
    private @Nullable JournalEntry streakEntry;
    private Subscription backoffEnd = Subscription.NONE;
    private volatile TargetStatus status;
    /** The automaton as configured; a leader's fresh automaton has the same spec, so the same diagram. */
    private final StateDiagram diagram;

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
            Executor blocking,
            @Nullable Predecessor predecessor,
            ArrivalHistory history,
            @Nullable String historyProblem) {
        this.spec = spec;
        this.history = history;
        this.historyProblem = historyProblem;
        this.automaton = automaton;
        this.diagram = describe(automaton);
        this.orchestrator = orchestrator;
        this.engine = engine;
        this.leadership = leadership;
        this.scheduler = scheduler;
        this.dispatcher = dispatcher;
        this.poller = new SignalPoller(spec.policy().signals().values(), sources, scheduler, blocking,
                (name, value) -> post(() -> onSignal(name, value)));
        this.calls = predecessor == null ? new ActuationQueue(spec.name(), blocking, leadership) : predecessor.calls();
        this.timers = new ActorTimers(scheduler, this::post, name -> deliver(new Event.TimerFired(name)));
        this.view = new TargetView(spec.ref(), spec.policy().signals().keySet(), scheduler, timers, this::desiredReplicas);
        this.startFailures = new StartFailures(spec.policy().startFailures());
        // Gateways report only on change: a successor keeps what every gateway last said.
        this.traffic = predecessor == null
                ? new TrafficReports(engine.trafficSettings(), engine::lastHeard)
                : predecessor.traffic();
        this.actuation = new WorkloadActuation(spec, orchestrator, actuator, engine.telemetry(), scheduler, calls, view,
                startFailures,
                new WorkloadActuation.Target() {
                    @Override
                    public void post(Runnable message) {
                        TargetActor.this.post(message);
                    }

                    @Override
                    public void deliver(Event event) {
                        TargetActor.this.deliver(event);
                    }

                    @Override
                    public void journal(JournalEntry.Kind kind, String message) {
                        TargetActor.this.journal(kind, message);
                    }

                    @Override
                    public void observeNow() {
                        TargetActor.this.observeNow();
                    }

                    @Override
                    public void routeChanged() {
                        publishRoute();
                    }
                });
        if (predecessor != null) {
            // What an operator set and what the gateway holds outlive a reconfiguration; the
            // automaton, its timers and what it decided do not: it starts over from Start.
            automationPaused = predecessor.automationPaused();
            overrideReplicas = predecessor.overrideReplicas();
            overrideUntil = predecessor.overrideUntil();
            Instant now = scheduler.clock().instant();
            predecessor.requests().forEach((gateway, stats) -> {
                latestStats.put(gateway, stats);
                traffic.report(gateway, stats, now);
            });
            view.requests(traffic.sum(), traffic.unknownReason());
        }
        this.status = snapshot("not observed yet");
    }

    /**
     * What an actor replaced by a reconfiguration of its target hands to its successor.
     *
     * @param calls the target's call queue, handed over so calls stay one at a time
     * @param traffic every gateway's reports (gateways report only on change)
     * @param requests each gateway's newest counters, including those not yet taken into {@code traffic}
     */
    record Predecessor(ActuationQueue calls, boolean automationPaused, @Nullable Integer overrideReplicas,
            @Nullable Instant overrideUntil, TrafficReports traffic, Map<String, RequestStats> requests) {}

    /**
     * Stops this actor for good because its target is reconfigured or removed, and returns what
     * its successor (if any) takes over. Called by the engine, under its lock, on any thread.
     */
    Predecessor retire() {
        ActuationQueue next = calls.handOver();
        TargetStatus last = status;
        close();
        return new Predecessor(next, last.automationPaused(), last.overrideReplicas(), last.overrideUntil(), traffic,
                Map.copyOf(latestStats));
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
            begun = true;
            leader = leadership.isLeader();
            String problem = historyProblem;
            if (problem != null) {
                historyProblem = null;
                journal(JournalEntry.Kind.HISTORY, problem);
            }
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
            backoffEnd.close();
            calls.close();
        });
    }

    TargetSpec spec() {
        return spec;
    }

    /** The pre-wake the automaton planned, if it plans any; any thread. */
    @Nullable PlannedPrewake plannedPrewake() {
        return automaton instanceof PlansPrewakes planning ? planning.plannedPrewake() : null;
    }

    /** The automaton's seasonal forecast settings, if it makes one; any thread. */
    SeasonalForecast.@Nullable Settings seasonalSettings() {
        return automaton instanceof PlansPrewakes planning ? planning.seasonalSettings() : null;
    }

    TargetStatus status() {
        return status;
    }

    StateDiagram diagram() {
        return diagram;
    }

    private StateDiagram describe(Automaton automaton) {
        try {
            return automaton.describe();
        } catch (RuntimeException e) {
            // A custom automaton's mistake costs its diagram's transitions, not its target.
            log.warn("target {}: the automaton's describe() failed; the dashboard shows its states only", spec.name(), e);
            return StateDiagram.ofStates(automaton.states());
        }
    }

    @Nullable Route route() {
        return publishedRoute;
    }

    /**
     * Takes over what an operator set before the last restart (read by the engine from its state
     * store), and journals where it came from; or journals why the saved state was set aside.
     * Before {@link #start()}.
     */
    void restore(SavedState.Loaded loaded) {
        SavedState.Operator operator = loaded.operator();
        String problem = loaded.problem();
        if (operator == null && problem == null) {
            return;
        }
        post(() -> {
            if (problem != null) {
                journal(JournalEntry.Kind.STATE, problem);
            }
            if (operator != null && !operator.isNone()) {
                automationPaused = operator.automationPaused();
                overrideReplicas = operator.overrideReplicas();
                overrideUntil = operator.overrideReplicas() == null ? null : operator.overrideUntil();
                journal(JournalEntry.Kind.STATE, "restored from " + loaded.location() + ": " + operator.describe());
                refreshStatus();
            }
        });
    }

    /** A stored history or series of this target was set aside: say so in the journal. */
    void historyProblem(String problem) {
        post(() -> journal(JournalEntry.Kind.HISTORY, problem));
    }

    /** Something about the engine's saved state this target should show in its journal. */
    void stateProblem(String problem) {
        post(() -> journal(JournalEntry.Kind.STATE, problem));
    }

    /** Hands what an operator set now to the engine, to be written to the state store (off this thread). */
    private void operatorChanged() {
        engine.operatorChanged(this, new SavedState.Operator(automationPaused, overrideReplicas, overrideUntil));
    }

    // ---- inputs --------------------------------------------------------------------------------

    void onRequests(String gateway, RequestStats stats) {
        latestStats.put(gateway, stats);
        // Coalesce: under load a gateway reports on every request; the actor needs only the newest
        // of each gateway.
        pendingStats.put(gateway, stats);
        if (statsPosted.compareAndSet(false, true)) {
            post(this::takeReports);
        }
    }

    private void takeReports() {
        statsPosted.set(false);
        boolean changed = false;
        for (String gateway : List.copyOf(pendingStats.keySet())) {
            RequestStats newest = pendingStats.remove(gateway);
            if (newest != null) {
                changed |= traffic.report(gateway, newest, now());
            }
        }
        if (changed) {
            requestsChanged();
        }
    }

    private void requestsChanged() {
        view.arrivalsJoined(traffic.takeJoinedArrivals());
        // The one place arrivals enter the history: the sum over gateways, before the automaton
        // hears of them, so a prediction made on this event already counts them. A gateway that
        // joins adds only the requests it holds or forwards now: the rest of its count is older.
        history.counter(now(), traffic.sum().arrivals(), traffic.takeHistoryBacklog());
        view.requests(traffic.sum(), traffic.unknownReason());
        deliver(new Event.RequestsChanged());
    }

    void onDrained(String gateway, long drain, List<Endpoint> endpoints) {
        post(() -> {
            if (closed) {
                return;
            }
            if (endpoints.isEmpty()) {
                deliver(new Event.Drained(List.of())); // nothing was being drained: nothing to wait for
                return;
            }
            // Over only once every live gateway drained them: another may still have requests on them.
            drainsOver(traffic.drained(gateway, endpoints, drain));
        });
    }

    private void drainsOver(List<Endpoint> endpoints) {
        if (endpoints.isEmpty()) {
            return;
        }
        // Replicas drained for a scale-down to M > 0 or an announced removal are the engine's
        // business; the rest (a drain to zero) is the automaton's.
        List<Endpoint> unclaimed = actuation.drained(endpoints, leader);
        if (!unclaimed.isEmpty()) {
            deliver(new Event.Drained(unclaimed));
        }
    }

    /** {@code gateway} closed: its requests no longer count, and no drain waits for it. */
    void onGatewayLeft(String gateway) {
        post(() -> {
            if (closed) {
                return;
            }
            pendingStats.remove(gateway);
            if (traffic.left(gateway)) {
                journal(JournalEntry.Kind.SAFETY, "gateway " + gateway + " left: its requests no longer count");
                requestsChanged();
            }
            drainsOver(traffic.completedDrains());
        });
    }

    /** Gateways unheard past the TTL become unknown; heard again, known; silent for long, forgotten. */
    private void checkReporters() {
        TrafficReports.Liveness liveness = traffic.refresh(now());
        for (String gateway : liveness.silenced()) {
            log.warn("target {}: gateway {} not heard from for longer than {}: its requests are unknown, no scale to zero"
                    + " until it reports again", spec.name(), gateway, Durations.format(engine.trafficSettings().reporterTtl()));
            journal(JournalEntry.Kind.SAFETY, "gateway " + gateway + " not heard from for longer than traffic.reporter-ttl "
                    + Durations.format(engine.trafficSettings().reporterTtl()) + ": its requests are unknown; no scale to zero"
                    + " until it reports again");
        }
        for (String gateway : liveness.revived()) {
            journal(JournalEntry.Kind.SAFETY, "gateway " + gateway + " heard from again");
        }
        for (String gateway : liveness.forgotten()) {
            journal(JournalEntry.Kind.SAFETY, "gateway " + gateway + " silent for longer than traffic.forget-after "
                    + Durations.format(engine.trafficSettings().forgetAfter()) + ": forgotten, its last counters no longer count");
        }
        if (liveness.changed()) {
            requestsChanged();
        }
        if (!liveness.silenced().isEmpty() || !liveness.forgotten().isEmpty()) {
            drainsOver(traffic.completedDrains());
        }
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
            operatorChanged();
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
            operatorChanged();
            Decision last = applied;
            if (last != null) {
                apply(automaton.state(), last.withActions());
            }
        });
    }

    private void checkLeadership() {
        if (!begun) {
            return; // start() reads leadership itself, after this change
        }
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
        actuation.forget();
        lastSafetyHold = null;
        observationMissed = false;
        refreshStatus();
        observeNow();
    }

    private void onWorkloadEvent(WorkloadEvent event) {
        switch (event) {
            case WorkloadEvent.Changed changed -> onObserved(changed.state());
            case WorkloadEvent.ReplicaFailed failed -> onReplicaFailed(failed);
            case WorkloadEvent.Removing removing -> {
                journal(JournalEntry.Kind.DECISION, "the backend will remove " + removing.endpoints() + " (" + removing.reason()
                        + "): draining them first");
                actuation.announced(removing.endpoints());
            }
            case WorkloadEvent.ReplicaStarted started -> journal(JournalEntry.Kind.DECISION,
                    "replica " + started.replica() + " started from tier '" + started.tier() + "'");
        }
    }

    /**
     * Crash-loop handling: one journal entry per streak, restarts held back exponentially (by
     * {@link WorkloadActuation}), and once the policy gives up on the wake, held and new requests
     * answered 503 with the reason (through the route's refusal) and one alert per streak.
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
            sendAlert(alert);
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
                current == null ? view.observed().replicas() : current.replicas(), current == null ? Routing.HOLD : current.routing(),
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
        boolean becameReady = state.readyReplicas() > view.observed().readyReplicas();
        boolean differs = view.observed(state);
        actuation.observed(state);
        if (becameReady) {
            FailureStreak ended = startFailures.ready();
            if (ended != null) {
                backoffEnd.close();
                journalStreak(ended, "a replica became ready; backoff reset");
            }
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
        if (leader && last != null) {
            actuation.restoreIfStopped(last);
        }
    }

    private void onSignal(String name, SignalValue value) {
        if (poller.pushed(name) && value instanceof SignalValue.Known known && known.value() > 0
                && !(view.signal(name) instanceof SignalValue.Known before && before.value() > 0)) {
            // Work announced by a pushed signal (a queue that was empty now holds messages) is an
            // arrival as much as a request is: the history counts the rise, once.
            history.record(now(), 1);
        }
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
            operatorChanged();
        }
        poller.poll();
        checkReporters();
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
        if (leader && started && last != null) {
            actuation.reconcile(last);
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
                previous != null ? previous.replicas() : Math.max(view.observed().desiredReplicas(), view.observed().replicas()),
                overrideReplicas, view.observed(),
                view.observationStale(), view.requests(), view.signals(), startFailures.refusal(spec.name(), now()),
                view.requestsUnknown()));
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
            engine.changed(spec.ref(), stateBefore, automaton.state(), safe, leader);
        }
        for (Action action : safe.actions()) {
            switch (action) {
                case Action.Alert alert -> sendAlert(alert);
                case Action.FailHeld fail -> {
                    // Answers this daemon's own gateway's held requests: every replica does that for its own.
                    journal(JournalEntry.Kind.FAILED_HELD, "held requests answered " + fail.status() + ": " + fail.reason());
                    engine.failHeld(this, fail.status(), fail.reason());
                }
            }
        }
        // Routes go on without leadership: every daemon replica serves its own gateway.
        publishRoute();
        if (leader) {
            actuation.apply(safe);
        } else {
            actuation.wakeAsFollower(safe);
        }
        refreshStatus();
    }

    private void sendAlert(Action.Alert alert) {
        if (leader) {
            journal(JournalEntry.Kind.ALERT, alert.severity() + ": " + alert.message());
            engine.alert(spec, alert);
        } else {
            // The leader raises the same alert; a follower's would page twice.
            journal(JournalEntry.Kind.ALERT, alert.severity() + ": " + alert.message() + " (not sent: not the leader)");
        }
    }

    private void publishRoute() {
        Decision last = applied;
        if (last == null) {
            return;
        }
        Route route = actuation.route(last.routing(), startFailures.refusal(spec.name(), now()));
        Route before = publishedRoute;
        if (before != null && !before.draining().containsAll(route.draining())) {
            // A drain starts: a new id, so a late report of an earlier (cancelled) drain of the same
            // endpoint cannot end it. Taken from the clock when that is larger, so ids keep growing
            // across restarts and changes of leader.
            drainId = Math.max(drainId + 1, now().toEpochMilli());
        } else if (before == null && !route.draining().isEmpty()) {
            drainId = Math.max(drainId + 1, now().toEpochMilli());
        }
        route = route.withDrain(drainId);
        if (!route.equals(publishedRoute)) {
            publishedRoute = route;
            traffic.draining(route.draining(), drainId);
            engine.publishRoute(this, route);
        }
    }

    // ---- journal and status ----------------------------------------------------------------------

    private Instant now() {
        return scheduler.clock().instant();
    }

    private int desiredReplicas() {
        Decision last = applied;
        return last == null ? view.observed().desiredReplicas() : last.replicas();
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
        engine.statusChanged(spec.ref());
    }

    private TargetStatus snapshot(String reason) {
        Decision current = applied;
        ObservedState observed = view.observed();
        return new TargetStatus(spec.name(), spec.ref(), started, automaton.state(),
                current == null ? observed.desiredReplicas() : current.replicas(), observed.desiredReplicas(), observed.replicas(),
                observed.readyReplicas(),
                view.observationStale(), current == null ? Routing.HOLD : current.routing(), automationPaused, overrideReplicas,
                overrideUntil, view.allSignals(), view.requests(), reason, now(), startFailures.streak());
    }
}
