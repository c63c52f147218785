package io.zeroscale.engine;

import io.zeroscale.engine.history.ArrivalHistory;
import io.zeroscale.engine.history.PlannedPrewake;
import io.zeroscale.engine.history.SeasonalForecast;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.StandardErrorCode;
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
import java.util.concurrent.CompletableFuture;
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
 *   <li>{@link TickNeeds} and {@link TickSchedule}: whether the next tick could do anything, asked
 *       after every message, and when the tick runs;
 *   <li>{@link DecisionApplication}: what happens to each decision (safety rules, journal, actions,
 *       actuation by the leader or a follower's conditional wake);
 *   <li>{@link RoutePublisher}: the route to the gateways, published when it changes, and its drain ids;
 *   <li>{@link GatewayTraffic}: what the gateways report (counters, drains done, leaving), and the
 *       reporter TTL checks;
 *   <li>{@link CrashLoop} and {@link StartFailures}: failure streaks of replicas that fail before
 *       one is ready, their journal entry, alert and backoff;
 *   <li>{@link LeaderRole}: whether this daemon leads, and when that changes;
 *   <li>{@link AutomatonRun}: the automaton from {@code Start} on, and the restart of a new leader;
 *   <li>{@link WorkloadObservation}: {@code observe} calls, and what each observation means;
 *   <li>{@link OperatorControls}: the override and automation pause an operator set, and their
 *       persistence;
 *   <li>{@link StatusSnapshot}: the target's {@link TargetStatus}, made from the parts after each change.
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
final class TargetActor implements CrashLoop.Target, DecisionApplication.Effects, WorkloadActuation.Target,
        WorkloadObservation.Target, OperatorControls.Target, AutomatonRun.Target, GatewayTraffic.Target,
        RoutePublisher.Target, TickNeeds.Target {
    private static final Logger log = LoggerFactory.getLogger(TargetActor.class);

    private final TargetSpec spec;
    private final Orchestrator orchestrator;
    private final Engine engine;
    private final Executor dispatcher;
    private final LeaderRole role;
    private final SignalPoller poller;
    private final ActuationQueue calls;
    private final ActorTimers timers;
    private final TargetView view;
    private final WorkloadActuation actuation;
    private final StartFailures startFailures;
    private final CrashLoop crashLoop;
    private final DecisionApplication decisions;
    private final RoutePublisher routes;
    private final OperatorControls operator;
    private final WorkloadObservation observation;
    private final AutomatonRun run;
    private final TickNeeds ticks;
    private final StatusSnapshot statuses;
    private final ArrivalHistory history;
    /** Why the history file was set aside at load, journalled once on start; or null. */
    private @Nullable String historyProblem;

    private final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** Every gateway's counters; the reports are handed to the actor that replaces this one. */
    private final GatewayTraffic gateways;
    private final List<Subscription> subscriptions = new ArrayList<>();

    // Actor-confined state: touched only from inside the mailbox loop.
    /**
     * Leadership was gained and the operator state is being read again from the store (what the
     * previous leader set): the automaton starts only once it is in.
     */
    private boolean awaitingOperator;
    private boolean closed;
    private volatile TargetStatus status;
    /**
     * {@link #retire()} ran: the engine no longer counts this actor's decisions as its target's. Set
     * before retire reads the status its successor takes over; see {@link #operatorChange}.
     */
    private volatile boolean retired;

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
        this.orchestrator = orchestrator;
        this.engine = engine;
        this.role = new LeaderRole(leadership);
        this.dispatcher = dispatcher;
        this.poller = new SignalPoller(spec.policy().signals().values(), sources, scheduler, blocking,
                (name, value) -> post(() -> onSignal(name, value)));
        this.calls = predecessor == null ? new ActuationQueue(spec.name(), blocking, leadership) : predecessor.calls();
        this.timers = new ActorTimers(scheduler, this::now, this::post, name -> deliver(new Event.TimerFired(name)));
        this.view = new TargetView(spec.ref(), spec.policy().signals().keySet(), scheduler, timers, this::desiredReplicas);
        this.startFailures = new StartFailures(spec.policy().startFailures());
        // The parts call back into this actor (the wiring below, under "callbacks of the parts").
        // Gateways report only on change: a successor keeps what every gateway last said.
        this.gateways = new GatewayTraffic(spec.name(), predecessor == null
                ? new TrafficReports(engine.trafficSettings(), engine::lastHeard)
                : predecessor.traffic(), engine.trafficSettings(), view, history, this);
        this.routes = new RoutePublisher(view, gateways.reports(), view::now, this);
        this.crashLoop = new CrashLoop(spec.name(), startFailures, engine.journal(), scheduler, this);
        this.decisions = new DecisionApplication(this);
        this.actuation = new WorkloadActuation(spec, orchestrator, actuator, engine.telemetry(), scheduler, calls, view,
                startFailures, this);
        this.operator = new OperatorControls(this);
        this.observation = new WorkloadObservation(spec.name(), spec.ref(), orchestrator, calls, view, scheduler, this);
        this.run = new AutomatonRun(spec.name(), automaton, () -> engine.createAutomaton(spec),
                List.of(timers::cancelAll, decisions::forget, actuation::forget, observation::forget), this);
        this.ticks = new TickNeeds(new TickSchedule(scheduler, spec.policy().tick(), this::post, this::onTick),
                orchestrator instanceof Endpoints, poller, operator, gateways.reports(), engine::decisionsNeedTicks, view,
                startFailures, role, this);
        if (predecessor != null) {
            // What an operator set and what the gateway holds outlive a reconfiguration; the
            // automaton, its timers and what it decided do not: it starts over from Start.
            operator.takeOver(predecessor.operator());
            gateways.replay(predecessor.requests(), scheduler.clock().instant());
        }
        this.statuses = new StatusSnapshot(spec, run, decisions, view, operator, startFailures);
        this.status = statuses.take("not observed yet");
    }

    /**
     * What an actor replaced by a reconfiguration of its target hands to its successor.
     *
     * @param calls the target's call queue, handed over so calls stay one at a time
     * @param traffic every gateway's reports (gateways report only on change)
     * @param requests each gateway's newest counters, including those not yet taken into {@code traffic}
     */
    record Predecessor(ActuationQueue calls, SavedState.Operator operator, TrafficReports traffic,
            Map<String, RequestStats> requests) {}

    /**
     * Stops this actor for good because its target is reconfigured or removed, and returns what
     * its successor (if any) takes over. Called by the engine, under its lock, on any thread.
     */
    Predecessor retire() {
        retired = true;
        ActuationQueue next = calls.handOver();
        TargetStatus last = status;
        close();
        return new Predecessor(next, new SavedState.Operator(last.automationPaused(), last.overrideReplicas(),
                last.overrideUntil()), gateways.reports(), gateways.latest());
    }

    // ---- mailbox -------------------------------------------------------------------------------

    @Override
    public void post(Runnable message) {
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
                        view.nextMessage();
                        message.run();
                        ticks.afterMessage();
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
            role.begin();
            String problem = historyProblem;
            if (problem != null) {
                historyProblem = null;
                journal(JournalEntry.Kind.HISTORY, problem);
            }
            if (orchestrator instanceof Endpoints endpoints) {
                subscriptions.add(endpoints.watch(spec.ref(), event -> post(() -> onWorkloadEvent(event))));
            }
            subscriptions.addAll(poller.subscribe());
            ticks.begin();
            observeNow();
        });
    }

    void close() {
        post(() -> {
            closed = true;
            ticks.close();
            subscriptions.forEach(Subscription::close);
            subscriptions.clear();
            timers.cancelAll();
            crashLoop.close();
            calls.close();
        });
    }

    TargetSpec spec() {
        return spec;
    }

    /** The pre-wake the automaton planned, if it plans any; any thread. */
    @Nullable PlannedPrewake plannedPrewake() {
        return run.plannedPrewake();
    }

    /** The automaton's seasonal forecast settings, if it makes one; any thread. */
    SeasonalForecast.@Nullable Settings seasonalSettings() {
        return run.seasonalSettings();
    }

    TargetStatus status() {
        return status;
    }

    /** True once {@link #retire()} ran (any thread). */
    boolean retired() {
        return retired;
    }

    StateDiagram diagram() {
        return run.diagram();
    }

    @Nullable Route route() {
        return routes.published();
    }

    /**
     * Takes over what an operator set before the last restart (read by the engine from its state
     * store), and journals where it came from; or journals why the saved state was set aside.
     * Before {@link #start()}.
     */
    void restore(SavedState.Loaded loaded) {
        post(() -> {
            if (operator.restore(loaded)) {
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

    // ---- inputs --------------------------------------------------------------------------------

    void onRequests(String gateway, RequestStats stats) {
        // Coalesced: under load a gateway reports on every request; the actor needs only the newest
        // of each gateway.
        if (gateways.offer(gateway, stats)) {
            post(() -> gateways.take(now()));
        }
    }

    void onDrained(String gateway, long drain, List<Endpoint> endpoints) {
        post(() -> {
            if (!closed) {
                gateways.drained(gateway, drain, endpoints);
            }
        });
    }

    /** {@code gateway} closed: its requests no longer count, and no drain waits for it. */
    void onGatewayLeft(String gateway) {
        post(() -> {
            if (!closed) {
                gateways.left(gateway, now());
            }
        });
    }

    void onEndpointRefused(Endpoint endpoint, String reason) {
        post(() -> {
            log.info("target {}: endpoint {} refused a request ({}); observing again", spec.name(), endpoint, reason);
            observeNow();
        });
    }

    /** A gateway went silent past the reporter TTL (the engine watches each gateway): check as a tick would. */
    void onGatewaySilent() {
        post(this::onTick);
    }

    /** Leadership may have changed: re-read it on the actor. */
    void onLeadershipChanged() {
        post(this::checkLeadership);
    }

    /** Pauses or resumes automation; the result completes once applied (see {@link #operatorChange}). */
    CompletableFuture<TargetStatus> setAutomationPaused(boolean paused, String who) {
        return operatorChange(() -> {
            boolean resumed = operator.pause(paused, who);
            if (resumed && run.started()) {
                // Hands back on: the automaton first sees what changed meanwhile, then the workload is
                // brought back to what was last decided, as a tick would.
                if (observation.takeMissed()) {
                    deliver(new Event.ObservedChanged(view.observed()));
                }
                reconcile();
            }
        });
    }

    /** Sets or clears the override; the result completes once applied (see {@link #operatorChange}). */
    CompletableFuture<TargetStatus> setOverride(@Nullable Integer replicas, @Nullable Duration expiry, String who) {
        return operatorChange(() -> {
            operator.override(replicas, expiry, who, now());
            Decision last = decisions.applied();
            if (last != null) {
                apply(run.state(), last.withActions());
            }
        });
    }

    /**
     * Posts an operator's change and returns its result: the status that shows it, completed on
     * the actor once applied, so a reader sees the change as soon as the caller learns it is done.
     * It fails, and nothing is lost silently, when this actor was stopped before it ran (nothing
     * changed) or retired while it ran (its successor may have taken over the state before it).
     */
    private CompletableFuture<TargetStatus> operatorChange(Runnable change) {
        CompletableFuture<TargetStatus> applied = new CompletableFuture<>();
        post(() -> {
            if (closed) {
                applied.completeExceptionally(gone("nothing was changed"));
                return;
            }
            try {
                change.run();
                refreshStatus();
            } catch (RuntimeException e) {
                applied.completeExceptionally(e);
                throw e;
            }
            // retire() sets retired before it reads the status; this wrote the status before reading
            // retired: either the successor's copy has the change, or this sees retired.
            if (retired) {
                applied.completeExceptionally(gone("the change may not have reached it"));
            } else {
                applied.complete(status);
            }
        });
        return applied;
    }

    private ZeroscaleException gone(String consequence) {
        return new ZeroscaleException(StandardErrorCode.NOT_FOUND, "target '" + spec.name() + "' was reconfigured, removed or"
                + " stopped while this change waited for it; " + consequence + ": send it again");
    }

    private void checkLeadership() {
        if (closed) {
            return;
        }
        LeaderRole.Change change = role.recheck();
        if (change == LeaderRole.Change.NONE) {
            return;
        }
        journal(JournalEntry.Kind.LEADERSHIP, change.journal());
        if (change == LeaderRole.Change.GAINED) {
            run.restart();
            // The previous leader's overrides and pause are in the store, not in this daemon's
            // memory (read at its own start): read them again (off this thread) before starting.
            awaitingOperator = true;
            engine.reloadOperator(this);
        }
        refreshStatus();
    }

    /**
     * The operator state read again from the store after this daemon gained leadership: it takes
     * over what the previous leader set (none in the store: none), then the automaton starts from
     * a fresh observation. When the store could not be read, what this daemon knew is kept and the
     * journal says so.
     */
    void operatorReloaded(SavedState.Loaded loaded) {
        post(() -> {
            if (closed || !awaitingOperator) {
                return;
            }
            awaitingOperator = false;
            operator.reloaded(loaded);
            refreshStatus();
            observeNow();
        });
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

    /** A replica failed before one was ready: see {@link CrashLoop}. */
    private void onReplicaFailed(WorkloadEvent.ReplicaFailed failed) {
        if (closed) {
            return;
        }
        FailureStreak streak = crashLoop.failed(failed);
        publishRoute();
        deliver(new Event.ReplicaFailed(failed.replica(), streak.lastReason(), streak.failuresInARow(), streak.gaveUp(),
                streak.nextAttemptAt()));
    }

    private void onBackoffOver() {
        if (closed || crashLoop.backingOff()) {
            return;
        }
        publishRoute(); // the refusal ends: requests are held (and wake the target) again
        if (!operator.automationPaused()) {
            reconcile();
        }
        refreshStatus();
    }

    @Override
    public void onObserved(ObservedState state) {
        if (closed) {
            return;
        }
        WorkloadObservation.Seen seen = observation.apply(state, run.started(), operator.automationPaused());
        switch (seen) {
            case FIRST -> {
                if (awaitingOperator) {
                    return; // started once the operator state is in (operatorReloaded observes again)
                }
                run.start();
                deliver(new Event.Start(state));
                return;
            }
            case PAUSED -> {
                // Paused means hands off: no decision and no reconciling until an operator resumes.
                publishRoute();
                refreshStatus();
                return;
            }
            case CHANGED -> deliver(new Event.ObservedChanged(state));
            case SAME -> {}
        }
        // A workload stopped behind our back: bring it back to what we asked for.
        Decision last = decisions.applied();
        if (role.leads() && last != null) {
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
        // Judged before the tick acts too: an override expiring on this tick must still reach the
        // automaton (and the status), though nothing needs the ticks after it.
        boolean tickNeeded = ticks.needed();
        Instant now = now();
        operator.expire(now);
        poller.poll();
        gateways.checkReporters(now);
        if (!(orchestrator instanceof Endpoints) || !run.started()) {
            observeNow();
        }
        if (!operator.automationPaused()) {
            reconcile();
        }
        if (tickNeeded || ticks.needed()) {
            deliver(new Event.Tick());
        }
        // else: a wake-up for a gateway's TTL, or the last periodic tick before they stop: the
        // automaton said a tick changes nothing (its decision, status and listeners stay as they are).
    }

    /** Scales the workload back to the last decision when the observation says it drifted. */
    private void reconcile() {
        Decision last = decisions.applied();
        if (role.leads() && run.started() && last != null) {
            actuation.reconcile(last);
        }
    }

    @Override
    public void observeNow() {
        observation.observe();
    }

    @Override
    public void onObservationFailed(RuntimeException error) {
        if (closed) {
            return;
        }
        String reason = observation.failed(error);
        if (!run.started()) {
            // Never start from a guess: wait until the workload can be seen.
            subscriptions.add(observation.retryLater());
            refreshStatus();
            return;
        }
        deliver(new Event.ObservationFailed(reason));
    }

    // ---- automaton and decisions -----------------------------------------------------------------

    @Override
    public void deliver(Event event) {
        if (closed || (!run.started() && !(event instanceof Event.Start))) {
            refreshStatus();
            return;
        }
        if (operator.automationPaused() && !(event instanceof Event.Start)) {
            publishRoute();
            refreshStatus();
            return;
        }
        String before = run.state();
        Decision decision = run.decide(event, view);
        if (decision == null) {
            refreshStatus();
            return;
        }
        apply(before, decision);
        Decision last = decisions.applied();
        engine.decided(this, event, last == null ? decision : last);
    }

    private void apply(String stateBefore, Decision decision) {
        ObservedState observed = view.observed();
        decisions.apply(stateBefore, run.state(), decision, new SafetyRules.Inputs(spec.policy().bounds(),
                decisions.currentReplicas(observed), operator.overrideReplicas(), observed, view.observationStale(), view.requests(),
                view.signals(), startFailures.refusal(spec.name(), now()), view.requestsUnknown()), role.leads());
        refreshStatus();
    }

    @Override
    public void alert(Action.Alert alert) {
        if (role.leads()) {
            journal(JournalEntry.Kind.ALERT, alert.severity() + ": " + alert.message());
            engine.alert(spec, alert);
        } else {
            // The leader raises the same alert; a follower's would page twice.
            journal(JournalEntry.Kind.ALERT, alert.severity() + ": " + alert.message() + " (not sent: not the leader)");
        }
    }

    @Override
    public void publishRoute() {
        routes.publish();
    }

    // ---- callbacks of the parts (on the actor, except post) -------------------------------------

    @Override
    public void backoffOver() {
        post(this::onBackoffOver);
    }

    @Override
    public void zeroHeld() {
        engine.telemetry().safetyHold(spec.name());
    }

    @Override
    public void changed(String from, String to, Decision decision) {
        engine.telemetry().decision(spec.name(), from, to, decision.replicas(), decision.reason());
        engine.changed(spec.ref(), from, to, decision, role.leads());
    }

    @Override
    public void failHeld(int status, String reason) {
        engine.failHeld(this, status, reason);
    }

    @Override
    public void actuate(Decision decision) {
        actuation.apply(decision);
    }

    @Override
    public void wakeAsFollower(Decision decision) {
        actuation.wakeAsFollower(decision);
    }

    @Override
    public List<Endpoint> claimDrained(List<Endpoint> endpoints) {
        return actuation.drained(endpoints, role.leads());
    }

    @Override
    public void routeChanged() {
        publishRoute();
    }

    @Override
    public void applied(ObservedState state, boolean becameReady) {
        actuation.observed(state);
        if (becameReady) {
            crashLoop.becameReady();
        }
    }

    @Override
    public void save(SavedState.Operator operator) {
        engine.operatorChanged(this, operator);
    }

    @Override
    public boolean started() {
        return run.started();
    }

    @Override
    public boolean unsettled() {
        Decision last = decisions.applied();
        return last != null && actuation.unsettled(last);
    }

    @Override
    public boolean automatonNeedsTicks() {
        return run.needsTicks(view);
    }

    @Override
    public @Nullable Routing appliedRouting() {
        Decision last = decisions.applied();
        return last == null ? null : last.routing();
    }

    @Override
    public Route.@Nullable Refusal refusal(Instant now) {
        return startFailures.refusal(spec.name(), now);
    }

    @Override
    public boolean routeShaped(Routing routing) {
        return actuation.replicasLeaving() || actuation.drainWithheld(routing, role.leads());
    }

    @Override
    public Route routeFor(Routing routing, Route.@Nullable Refusal refusal) {
        return actuation.route(routing, refusal, role.leads());
    }

    @Override
    public void routePublished(Route route) {
        engine.publishRoute(this, route);
    }

    // ---- journal and status ----------------------------------------------------------------------

    /** The instant of the current message (the clock is read once per message, see {@link TargetView#now()}). */
    private Instant now() {
        return view.now();
    }

    private int desiredReplicas() {
        Decision last = decisions.applied();
        return last == null ? view.observed().desiredReplicas() : last.replicas();
    }

    @Override
    public void journal(JournalEntry.Kind kind, String message) {
        engine.journal().append(entry(kind, message));
    }

    @Override
    public JournalEntry entry(JournalEntry.Kind kind, String message) {
        Decision current = decisions.applied();
        return new JournalEntry(now(), spec.ref(), kind, run.state(),
                current == null ? view.observed().replicas() : current.replicas(),
                current == null ? Routing.HOLD : current.routing(), message);
    }

    private void refreshStatus() {
        status = statuses.take();
        engine.statusChanged(spec.ref());
    }
}
