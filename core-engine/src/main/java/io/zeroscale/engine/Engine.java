package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static io.zeroscale.spi.StandardErrorCode.NOT_FOUND;
import static java.util.Objects.requireNonNull;

import io.opentelemetry.api.OpenTelemetry;
import io.zeroscale.engine.history.ArrivalHistories;
import io.zeroscale.engine.history.ArrivalHistory;
import io.zeroscale.engine.history.PlannedPrewake;
import io.zeroscale.engine.history.SeasonalForecast;
import io.zeroscale.engine.history.UsesArrivalHistory;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.spi.events.EngineListener;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.state.StateStore;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.spi.traffic.TrafficHub;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scaling engine: one {@link TargetActor} per target, fed by orchestrator watches, metric
 * sources, timers and the gateway (it is the gateway's {@link TrafficHub} in one process). Built by
 * {@link Zeroscale#builder()}; most users never touch this class directly.
 */
public final class Engine implements TrafficHub, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final Scheduler scheduler;
    private final Executor dispatcher;
    private final Executor blocking;
    private final Path dataDirectory;
    private final ActuationSettings actuation;
    private final Map<String, Orchestrator> orchestrators;
    private final Map<String, MetricSource> sources;
    private final Map<String, AutomatonFactory> automata;
    private final Map<String, Actuator> actuators = new ConcurrentHashMap<>();
    private final Map<TargetRef, TargetActor> actors = new ConcurrentHashMap<>();
    private final Map<String, TargetActor> actorsByName = new LinkedHashMap<>();
    private final List<RouteListener> routeListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<AlertEvent>> alertListeners = new CopyOnWriteArrayList<>();
    private final List<DecisionListener> decisionListeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger tickingListeners = new java.util.concurrent.atomic.AtomicInteger();
    private final List<Consumer<TargetRef>> statusListeners = new CopyOnWriteArrayList<>();
    private final Journal journal;
    private final WakeTimes wakeTimes = new WakeTimes();
    private final EngineTelemetry telemetry;
    private final Leadership leadership;
    private final TrafficSettings traffic;
    /** When each gateway was last heard from (any report, drain or heartbeat), on the engine's clock. */
    private final Map<String, Instant> gatewaysHeard = new ConcurrentHashMap<>();
    /** One reporter-TTL timer per gateway, not per target (see {@link GatewayWatch}). */
    private final GatewayWatch gatewayWatch;
    private final List<AutoCloseable> owned;
    private final ArrivalHistories histories;
    /** Operator state and the journal in the state store. */
    private final SavedState saved;
    /** Why the saved journal could not be read, journalled for every target on start; or null. */
    private final @Nullable String journalProblem;
    /** Plugins' subscriptions to engine events. */
    private final EngineEvents events;
    /** Problems met while reading a target's history, journalled once its actor exists. */
    private final Map<String, String> historyProblems = new ConcurrentHashMap<>();
    /** Orders route publications against target removals and replacements. */
    private final Object routeLock = new Object();
    private Subscription leadershipWatch = Subscription.NONE;
    private volatile boolean started;
    private volatile boolean closed;

    Engine(
            Scheduler scheduler,
            Executor dispatcher,
            Executor blocking,
            Path dataDirectory,
            ActuationSettings actuation,
            int journalCapacity,
            OpenTelemetry openTelemetry,
            Map<String, Orchestrator> orchestrators,
            Map<String, MetricSource> sources,
            Map<String, AutomatonFactory> automata,
            Leadership leadership,
            TrafficSettings traffic,
            List<AutoCloseable> owned,
            boolean persistentHistory,
            StateStore store,
            EngineEvents events) {
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        this.dispatcher = requireNonNull(dispatcher, "dispatcher is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
        this.actuation = requireNonNull(actuation, "actuation is null");
        this.journal = new Journal(journalCapacity);
        this.orchestrators = Map.copyOf(orchestrators);
        this.sources = Map.copyOf(sources);
        this.automata = Map.copyOf(automata);
        this.leadership = requireNonNull(leadership, "leadership is null");
        this.traffic = requireNonNull(traffic, "traffic is null");
        this.gatewayWatch = new GatewayWatch(scheduler, traffic.reporterTtl(), gatewaysHeard::get,
                gateway -> actors.values().forEach(TargetActor::onGatewaySilent));
        this.owned = List.copyOf(owned);
        this.telemetry = new EngineTelemetry(openTelemetry, this::statuses);
        // The history lives in the state store, next to the operator state and the journal (a new
        // leader finds it there); files of an older engine under engine/history move into it.
        this.histories = new ArrivalHistories(persistentHistory ? store : null, persistentHistory ? dataDirectory.resolve("history") : null,
                scheduler, blocking, this::historyProblem);
        this.events = requireNonNull(events, "events is null");
        this.saved = new SavedState(store, scheduler, blocking);
        this.journalProblem = saved.attach(journal);
        journal.subscribe(entry -> {
            if (!this.events.isEmpty()) {
                this.events.publish(entry.toEvent());
            }
        });
    }

    /** The automaton types this engine knows. */
    public Collection<String> automatonTypes() {
        return new TreeSet<>(automata.keySet());
    }

    /**
     * Adds a target: checks that its orchestrator, metric sources and automaton exist, builds the
     * automaton (which validates the policy) and attaches the workload. Before {@link #start()} the
     * target starts with the engine; after it, at once.
     *
     * @throws ZeroscaleException naming every problem of the target, each with its config path and
     *     fix; nothing was added then
     */
    public void addTarget(TargetSpec spec) {
        change(List.of(spec), List.of(), List.of(), "added");
    }

    /**
     * Reconfigures a running target of the same name: a changed policy restarts its automaton from
     * {@code Start} with a fresh observation (an operator's override and automation pause stay); a
     * changed workload (orchestrator, reference or settings) is a removal plus an addition. The
     * same spec as now changes nothing.
     *
     * @throws ZeroscaleException naming every problem; the target then runs on as it was
     */
    public void updateTarget(TargetSpec spec) {
        change(List.of(), List.of(spec), List.of(), "updated");
    }

    /**
     * Removes a target and leaves its workload exactly as it is (nothing is scaled): its actor
     * stops, the orchestrator {@linkplain Orchestrator#detach detaches} the workload, and the
     * gateway (through {@link RouteListener#onRemoved}) answers its held requests 503 with
     * {@code Retry-After} and {@code reason}, lets its requests in flight finish, and stops routing
     * to it.
     *
     * @throws ZeroscaleException {@code NOT_FOUND} when there is no target named {@code name}
     */
    public void removeTarget(String name, String reason) {
        change(List.of(), List.of(), List.of(name), reason);
    }

    /**
     * Applies one batch of target changes all or nothing: every added or updated target is checked
     * first (as {@link #addTarget} does), and when anything is wrong nothing changes.
     *
     * @param origin why, one line for the journal and the log (e.g. "config reload")
     * @return what actually changed (an update to the same spec as now is not listed)
     * @throws ZeroscaleException naming every problem with its config path and fix
     */
    public TargetChanges change(List<TargetSpec> add, List<TargetSpec> update, List<String> remove, String origin) {
        return change(add, update, remove, origin, changes -> {});
    }

    /**
     * As {@link #change(List, List, List, String)}, and runs {@code beforeListed} with what changed
     * once the change is applied, in the same step: before any reader of this engine's targets
     * ({@link #statuses()}, {@link #status}, {@link #spec}) can see it. The daemon gives its gateway
     * the added targets' routes there, so a target listed is a target the gateway routes. Runs on
     * the caller's thread under the engine's lock: it must not wait for another thread that uses
     * the engine. Not run when the change is refused.
     */
    public synchronized TargetChanges change(List<TargetSpec> add, List<TargetSpec> update, List<String> remove, String origin,
            Consumer<TargetChanges> beforeListed) {
        if (closed) {
            throw new IllegalStateException("the engine is closed");
        }
        ConfigProblems problems = new ConfigProblems();
        Plan plan = plan(add, update, remove, problems);
        List<TargetSpec> added = plan.added();
        List<TargetSpec> restarted = plan.restarted();
        List<TargetSpec> replaced = plan.replaced();
        Set<String> removing = plan.removing();
        Map<String, Prepared> prepared = plan.prepared();
        problems.throwIfAny();
        attachAll(concat(added, replaced), prepared);
        // From here on nothing can fail for a config reason: the change is committed.
        for (String name : removing) {
            TargetActor actor = requireNonNull(actorsByName.remove(name));
            retire(actor, null, origin);
            // The history goes with the target; its file stays for when a target of that name comes back.
            histories.release(name);
            // An operator's pause or override does not: a target added back later starts without one.
            saved.forgetOperator(name);
        }
        for (TargetSpec spec : replaced) {
            TargetActor old = requireNonNull(actorsByName.get(spec.name()));
            boolean sameRef = old.spec().ref().equals(spec.ref());
            TargetActor.Predecessor predecessor = retire(old, sameRef ? spec : null, origin);
            if (!sameRef) {
                saved.forgetOperator(spec.name()); // another workload: nothing an operator set carries over
            }
            install(requireNonNull(prepared.get(spec.name())), sameRef ? predecessor : null,
                    "reconfigured (" + origin + "): workload " + describeWorkload(old.spec()) + " -> " + describeWorkload(spec), false);
        }
        for (TargetSpec spec : restarted) {
            TargetActor old = requireNonNull(actorsByName.get(spec.name()));
            TargetActor.Predecessor predecessor = old.retire();
            install(requireNonNull(prepared.get(spec.name())), predecessor,
                    "policy changed (" + origin + "): the automaton restarts from Start with a fresh observation", false);
        }
        for (TargetSpec spec : added) {
            install(requireNonNull(prepared.get(spec.name())), null, "added (" + origin + ")", true);
        }
        TargetChanges changes = new TargetChanges(added.stream().map(TargetSpec::name).toList(),
                concat(restarted, replaced).stream().map(TargetSpec::name).toList(), List.copyOf(removing));
        beforeListed.accept(changes);
        if (started && !changes.isEmpty()) {
            log.info("targets changed ({}): {}", origin, changes);
        }
        return changes;
    }

    /**
     * Records in {@code problems} every problem {@link #change} would refuse, without changing
     * anything or touching a workload (the orchestrator's own check of workload settings runs at
     * {@link Orchestrator#attach} and is not part of it).
     */
    public synchronized void check(List<TargetSpec> add, List<TargetSpec> update, List<String> remove, ConfigProblems problems) {
        plan(add, update, remove, problems);
    }

    /** What a change does, once checked. */
    private record Plan(List<TargetSpec> added, List<TargetSpec> restarted, List<TargetSpec> replaced, Set<String> removing,
            Map<String, Prepared> prepared) {}

    private Plan plan(List<TargetSpec> add, List<TargetSpec> update, List<String> remove, ConfigProblems problems) {
        Set<String> removing = new LinkedHashSet<>();
        for (String name : remove) {
            if (!actorsByName.containsKey(name)) {
                problems.add(new ZeroscaleException(NOT_FOUND, "targets." + name + ": no target named '" + name
                        + "' to remove; targets are " + actorsByName.keySet()));
            } else if (!removing.add(name)) {
                problems.add(new ZeroscaleException(CONFIG_INVALID, "targets." + name + ": removed twice in one change"));
            }
        }
        // The set after the change, to find references two targets would share.
        Map<String, TargetSpec> after = new LinkedHashMap<>();
        actorsByName.forEach((name, actor) -> after.put(name, actor.spec()));
        removing.forEach(after::remove);
        List<TargetSpec> added = new ArrayList<>();
        List<TargetSpec> restarted = new ArrayList<>();
        List<TargetSpec> replaced = new ArrayList<>();
        for (TargetSpec spec : update) {
            TargetActor current = actorsByName.get(spec.name());
            if (current == null || removing.contains(spec.name())) {
                problems.add(new ZeroscaleException(NOT_FOUND, "targets." + spec.name() + ": no target named '" + spec.name()
                        + "' to update; add it instead"));
                continue;
            }
            TargetSpec old = current.spec();
            if (old.equals(spec)) {
                continue;
            }
            after.put(spec.name(), spec);
            if (old.ref().equals(spec.ref()) && old.workload().equals(spec.workload())) {
                restarted.add(spec);
            } else {
                replaced.add(spec);
            }
        }
        for (TargetSpec spec : add) {
            if (after.containsKey(spec.name())) {
                problems.add(new ZeroscaleException(CONFIG_INVALID, "targets." + spec.name() + ": a target named '" + spec.name()
                        + "' is already defined; update it, or give the new one another name"));
                continue;
            }
            after.put(spec.name(), spec);
            added.add(spec);
        }
        Map<TargetRef, String> owners = new HashMap<>();
        for (TargetSpec spec : after.values()) {
            String other = owners.putIfAbsent(spec.ref(), spec.name());
            if (other != null) {
                problems.add(new ZeroscaleException(CONFIG_INVALID, "targets." + spec.name() + ".workload: " + spec.ref()
                        + " is already scaled by targets." + other + "; one workload has one target"));
            }
        }
        Map<String, Prepared> prepared = new LinkedHashMap<>();
        for (TargetSpec spec : concat(added, restarted, replaced)) {
            Prepared ready = prepare(spec, problems, Set.of(), Set.of());
            if (ready != null) {
                prepared.put(spec.name(), ready);
            }
        }
        return new Plan(added, restarted, replaced, removing, prepared);
    }

    /** Names of the targets a {@link #change} added, updated and removed. */
    public record TargetChanges(List<String> added, List<String> updated, List<String> removed) {
        public TargetChanges {
            added = List.copyOf(added);
            updated = List.copyOf(updated);
            removed = List.copyOf(removed);
        }

        /** Nothing changed. */
        public boolean isEmpty() {
            return added.isEmpty() && updated.isEmpty() && removed.isEmpty();
        }

        @Override
        public String toString() {
            return isEmpty() ? "no change" : "added " + added + ", updated " + updated + ", removed " + removed;
        }
    }

    private static String describeWorkload(TargetSpec spec) {
        return spec.ref() + (spec.workload().asMap().isEmpty() ? "" : " " + spec.workload().asMap());
    }

    @SafeVarargs
    private static List<TargetSpec> concat(List<TargetSpec>... lists) {
        List<TargetSpec> out = new ArrayList<>();
        for (List<TargetSpec> list : lists) {
            out.addAll(list);
        }
        return out;
    }

    /**
     * Attaches the workloads of new and replaced targets; when one fails, undoes the others (and
     * gives replaced targets their old workload back) and throws every problem.
     */
    private void attachAll(List<TargetSpec> specs, Map<String, Prepared> prepared) {
        ConfigProblems problems = new ConfigProblems();
        List<Runnable> undo = new ArrayList<>();
        for (TargetSpec spec : specs) {
            Prepared ready = requireNonNull(prepared.get(spec.name()));
            TargetActor old = actorsByName.get(spec.name());
            if (old != null && old.spec().ref().equals(spec.ref())) {
                // The same workload with other settings: the orchestrator forgets the old ones first.
                Orchestrator previous = requireNonNull(orchestrators.get(old.spec().ref().orchestrator()));
                detach(previous, old.spec());
                undo.add(() -> problems.check(() -> previous.attach(old.spec().toWorkload())));
            }
            if (problems.check(() -> ready.orchestrator().attach(spec.toWorkload()))) {
                undo.add(() -> detach(ready.orchestrator(), spec));
            }
        }
        if (!problems.isEmpty()) {
            undo.reversed().forEach(Runnable::run);
            problems.throwIfAny();
        }
    }

    private static void detach(Orchestrator orchestrator, TargetSpec spec) {
        try {
            orchestrator.detach(spec.toWorkload());
        } catch (RuntimeException e) {
            log.warn("detaching {} from its orchestrator failed; its workload is left as it is", spec.ref(), e);
        }
    }

    /**
     * Stops {@code actor} for good. Removed (or moved to another workload): the gateway is told,
     * and its workload detached unless {@code keepsWorkload} takes it over (it was detached and
     * attached again already); the workload itself is left as it is.
     */
    private TargetActor.Predecessor retire(TargetActor actor, @Nullable TargetSpec keepsWorkload, String origin) {
        TargetSpec spec = actor.spec();
        TargetActor.Predecessor predecessor = actor.retire();
        if (keepsWorkload != null) {
            return predecessor;
        }
        String reason = "target '" + spec.name() + "' was removed (" + origin + ")";
        wakeTimes.forget(spec.ref());
        synchronized (routeLock) {
            actors.remove(spec.ref(), actor);
            for (RouteListener listener : routeListeners) {
                try {
                    listener.onRemoved(spec.ref(), reason);
                } catch (RuntimeException e) {
                    log.warn("route listener failed for {}", spec.ref(), e);
                }
            }
        }
        detach(requireNonNull(orchestrators.get(spec.ref().orchestrator())), spec);
        journal.append(new JournalEntry(scheduler.clock().instant(), spec.ref(), JournalEntry.Kind.CONFIG, "removed",
                actor.status().desiredReplicas(), Routing.HOLD, "removed (" + origin + "): the workload is left as it is,"
                + " held requests answered 503"));
        return predecessor;
    }

    /** A target that passed every check and may be installed. */
    private record Prepared(TargetSpec spec, Automaton automaton, Orchestrator orchestrator, Map<String, MetricSource> sources) {}

    /**
     * Adds a target, recording every problem in {@code problems} instead of throwing; the target
     * is added only when it has none. Before {@link #start()}, by the builder.
     *
     * @param brokenOrchestrators orchestrators the config defines whose own config failed (already
     *     reported): a target naming one is not told that it does not exist
     * @param brokenSources the same for metric sources
     */
    synchronized void addTarget(TargetSpec spec, ConfigProblems problems, Set<String> brokenOrchestrators, Set<String> brokenSources) {
        String path = "targets." + spec.name();
        if (actorsByName.containsKey(spec.name()) || actors.containsKey(spec.ref())) {
            problems.add(new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID,
                    path + ": a target for " + spec.ref() + " is already defined"));
            return;
        }
        Prepared ready = prepare(spec, problems, brokenOrchestrators, brokenSources);
        if (ready == null || !problems.check(() -> ready.orchestrator().attach(spec.toWorkload()))) {
            return;
        }
        install(ready, null, null, true);
    }

    /** Checks everything about {@code spec} that can be checked without touching its workload. */
    private @Nullable Prepared prepare(TargetSpec spec, ConfigProblems problems, Set<String> brokenOrchestrators,
            Set<String> brokenSources) {
        String path = "targets." + spec.name();
        boolean valid = true;
        String orchestratorName = spec.ref().orchestrator();
        Orchestrator orchestrator = orchestrators.get(orchestratorName);
        if (orchestrator == null && !brokenOrchestrators.contains(orchestratorName)) {
            valid = false;
            Set<String> defined = new TreeSet<>(orchestrators.keySet());
            defined.addAll(brokenOrchestrators);
            problems.add(new ZeroscaleException(NOT_FOUND, path + ".orchestrator: no orchestrator named '" + orchestratorName
                    + "'; " + (defined.isEmpty() ? "define one under orchestrators:" : Config.suggestion(orchestratorName, defined,
                    "orchestrators are"))));
        }
        for (SignalSpec signal : spec.policy().signals().values()) {
            MetricSource source = sources.get(signal.source());
            if (source != null) {
                valid &= problems.check(() -> source.validate(signal.query()));
            } else {
                valid = false;
                if (!brokenSources.contains(signal.source())) {
                    Set<String> defined = new TreeSet<>(sources.keySet());
                    defined.addAll(brokenSources);
                    problems.add(new ZeroscaleException(NOT_FOUND, path + ".policy.signals." + signal.name() + ".source: no"
                            + " metric source named '" + signal.source() + "'; " + (defined.isEmpty() ? "define one under metrics:"
                            : Config.suggestion(signal.source(), defined, "metric sources are"))));
                }
            }
        }
        Automaton automaton = problems.attempt(() -> createAutomaton(spec)).orElse(null);
        if (!valid || orchestrator == null || automaton == null) {
            return null;
        }
        Map<String, MetricSource> used = new LinkedHashMap<>();
        spec.policy().signals().values().forEach(signal -> used.put(signal.source(), requireNonNull(sources.get(signal.source()))));
        return new Prepared(spec, automaton, orchestrator, used);
    }

    /** Registers a checked, attached target; starts it when the engine runs. */
    private void install(Prepared ready, TargetActor.@Nullable Predecessor predecessor, @Nullable String journalMessage,
            boolean restoreSaved) {
        TargetSpec spec = ready.spec();
        String orchestratorName = spec.ref().orchestrator();
        Actuator actuator = actuators.computeIfAbsent(orchestratorName, name -> new Actuator(name, actuation,
                code -> telemetry.orchestratorError(name, code)));
        TargetActor actor = new TargetActor(spec, ready.automaton(), ready.orchestrator(), actuator, ready.sources(), this, leadership,
                scheduler, dispatcher, blocking, predecessor, histories.open(spec.name()), historyProblems.remove(spec.name()));
        synchronized (routeLock) {
            // Under the route lock: the predecessor's publications stop here, the successor's start.
            actors.put(spec.ref(), actor);
        }
        actorsByName.put(spec.name(), actor);
        if (journalMessage != null) {
            journal.append(new JournalEntry(scheduler.clock().instant(), spec.ref(), JournalEntry.Kind.CONFIG, "Start",
                    actor.status().desiredReplicas(), Routing.HOLD, journalMessage));
        }
        if (restoreSaved) {
            // Read here, on the caller's thread (startup, a reload), so the actor never waits on the store.
            actor.restore(saved.loadOperator(spec.name()));
        }
        if (started) {
            actor.start();
        }
    }

    /** Builds a fresh automaton for {@code spec}; also used by validation and simulation. */
    Automaton createAutomaton(TargetSpec spec) {
        AutomatonFactory factory = automata.get(spec.policy().automaton());
        if (factory == null) {
            throw new ZeroscaleException(NOT_FOUND, "targets." + spec.name() + ".policy.automaton: unknown automaton '"
                    + spec.policy().automaton() + "'; " + Config.didYouMean(spec.policy().automaton(), automata.keySet())
                    .map(hint -> hint + " ").orElse("") + "installed: " + automatonTypes());
        }
        Automaton automaton = factory.create(new AutomatonSpec(spec.ref(), spec.policy().bounds(), spec.policy().signals().keySet(),
                spec.policy().settings()), pluginContext("automaton-" + factory.type()));
        if (automaton instanceof UsesArrivalHistory predicting) {
            predicting.useArrivalHistory(histories.open(spec.name()));
        }
        return automaton;
    }

    /**
     * A stored history or series of {@code target} had to be set aside: journalled as {@code
     * HISTORY} by its actor, at once when it runs, else when it starts (several are joined).
     */
    private void historyProblem(String target, String message) {
        TargetActor actor;
        synchronized (this) {
            actor = actorsByName.get(target);
        }
        if (actor != null) {
            actor.historyProblem(message);
        } else {
            historyProblems.merge(target, message, (first, second) -> first + "; " + second);
        }
    }

    /**
     * The per-target series {@code name} kept in the engine's state store next to the arrival
     * histories and written by the same batched flush (the dashboard's charts).
     */
    public ArrivalHistories.Series targetSeries(String name) {
        return histories.series(name);
    }

    /** The arrival history of {@code target}, or empty when there is no such target. */
    public Optional<ArrivalHistory> arrivalHistory(String target) {
        synchronized (this) {
            if (!actorsByName.containsKey(target)) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(histories.get(target));
    }

    /**
     * The pre-wake the target's automaton has planned while at zero (its timer is set), or empty:
     * no such target, none planned, or a policy that plans none.
     */
    public Optional<PlannedPrewake> plannedPrewake(String target) {
        TargetActor actor;
        synchronized (this) {
            actor = actorsByName.get(target);
        }
        return actor == null ? Optional.empty() : Optional.ofNullable(actor.plannedPrewake());
    }

    /**
     * The seasonal forecast of the target's arrivals as of now, with its policy's settings, or
     * empty: no such target, or a policy without a seasonal forecast.
     */
    public Optional<SeasonalForecast> seasonalForecast(String target) {
        TargetActor actor;
        synchronized (this) {
            actor = actorsByName.get(target);
        }
        SeasonalForecast.Settings settings = actor == null ? null : actor.seasonalSettings();
        ArrivalHistory history = histories.get(target);
        if (settings == null || history == null) {
            return Optional.empty();
        }
        return Optional.of(SeasonalForecast.of(history, scheduler.clock().instant(), settings));
    }

    /** Writes every arrival history that changed (also done once a minute and on close). */
    public void flushArrivalHistory() {
        histories.flush();
    }

    /**
     * The context a plugin instance named {@code name} gets: the engine's scheduler and blocking
     * executor, its data directory {@code <data-dir>/<name>}, and the engine's events. For plugin
     * objects the daemon creates after the engine, such as target sources.
     */
    public PluginContext pluginContext(String name) {
        return new PluginContext() {
            @Override
            public Scheduler scheduler() {
                return scheduler;
            }

            @Override
            public Executor blockingExecutor() {
                return blocking;
            }

            @Override
            public Path dataDirectory() {
                return dataDirectory.resolve(name);
            }

            @Override
            public Subscription subscribe(EngineListener listener) {
                return events.subscribe(listener);
            }
        };
    }

    /** Observes every target and starts its automaton. Targets start independently. */
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        // Watch before the actors start, so no change falls between an actor's first read and the
        // watch; each actor re-reads leadership on its own thread, and one that gains it restarts.
        leadershipWatch = leadership.subscribe(() -> actors.values().forEach(TargetActor::onLeadershipChanged));
        actors.values().forEach(TargetActor::start);
        String problem = journalProblem;
        if (problem != null) {
            actors.values().forEach(actor -> actor.stateProblem(problem));
        }
        histories.start();
        log.info("engine started with {} target(s)", actors.size());
    }

    // ---- TrafficHub (the gateway's side) -----------------------------------------------------------

    @Override
    public void report(String gateway, TargetRef target, RequestStats stats) {
        requireNonNull(stats, "stats is null");
        heard(gateway);
        if (closed) {
            return; // shutting down: nothing decides any more, and nothing may be scaled
        }
        TargetActor actor = actors.get(target);
        if (actor != null) {
            actor.onRequests(gateway, stats);
            TargetActor now = actors.get(target);
            if (now != null && now != actor) {
                // Reconfigured meanwhile: its successor may have taken over the counters before these.
                now.onRequests(gateway, stats);
            }
        }
    }

    @Override
    public void drained(String gateway, TargetRef target, List<Endpoint> endpoints) {
        drained(gateway, target, 0, endpoints);
    }

    @Override
    public void drained(String gateway, TargetRef target, long drain, List<Endpoint> endpoints) {
        List<Endpoint> copy = List.copyOf(endpoints);
        heard(gateway);
        if (closed) {
            return; // shutting down: nothing decides any more, and nothing may be scaled
        }
        TargetActor actor = actors.get(target);
        if (actor != null) {
            actor.onDrained(gateway, drain, copy);
        }
    }

    @Override
    public void endpointRefused(String gateway, TargetRef target, Endpoint endpoint, String reason) {
        heard(gateway);
        if (closed) {
            return; // shutting down: nothing decides any more, and nothing may be scaled
        }
        TargetActor actor = actors.get(target);
        if (actor != null) {
            actor.onEndpointRefused(endpoint, "gateway " + gateway + ": " + reason);
        }
    }

    @Override
    public void heartbeat(String gateway) {
        heard(gateway);
    }

    @Override
    public void left(String gateway) {
        checkGateway(gateway);
        gatewaysHeard.remove(gateway);
        gatewayWatch.left(gateway);
        if (closed) {
            return;
        }
        log.info("gateway {} left: its request counters no longer count", gateway);
        actors.values().forEach(actor -> actor.onGatewayLeft(gateway));
    }

    private void heard(String gateway) {
        checkGateway(gateway);
        gatewaysHeard.put(gateway, scheduler.clock().instant());
        gatewayWatch.heard(gateway);
    }

    private static void checkGateway(String gateway) {
        if (requireNonNull(gateway, "gateway is null").isBlank()) {
            throw new IllegalArgumentException("gateway id is blank; every gateway reporting to a hub needs an id of its own");
        }
    }

    /** When {@code gateway} was last heard from, or null when never (or since it left). */
    @Nullable Instant lastHeard(String gateway) {
        return gatewaysHeard.get(gateway);
    }

    /** How gateways' reports are treated (reporter TTL, forget-after). */
    public TrafficSettings trafficSettings() {
        return traffic;
    }

    @Override
    public Subscription subscribe(RouteListener listener) {
        synchronized (routeLock) {
            routeListeners.add(listener);
            for (TargetActor actor : actors.values()) {
                Route route = actor.route();
                listener.onRoute(actor.spec().ref(), route == null ? Route.hold() : route);
            }
        }
        return () -> routeListeners.remove(listener);
    }

    /**
     * Publishes {@code from}'s route, unless {@code from} was replaced or removed meanwhile: under
     * the route lock, so no route of a removed target follows its {@link RouteListener#onRemoved}.
     */
    void publishRoute(TargetActor from, Route route) {
        TargetRef target = from.spec().ref();
        synchronized (routeLock) {
            if (actors.get(target) != from) {
                return;
            }
            for (RouteListener listener : routeListeners) {
                try {
                    listener.onRoute(target, route);
                } catch (RuntimeException e) {
                    log.warn("route listener failed for {}", target, e);
                }
            }
        }
    }

    void failHeld(TargetActor from, int status, String reason) {
        TargetRef target = from.spec().ref();
        if (actors.get(target) != from) {
            return;
        }
        for (RouteListener listener : routeListeners) {
            try {
                listener.onFailHeld(target, status, reason);
            } catch (RuntimeException e) {
                log.warn("route listener failed for {}", target, e);
            }
        }
    }

    // ---- alerts, journal, status, operator -------------------------------------------------------

    /** An alert an automaton raised, for alert sinks. */
    public record AlertEvent(String target, TargetRef ref, Action.Alert alert) {}

    public Subscription subscribeAlerts(Consumer<AlertEvent> listener) {
        alertListeners.add(listener);
        return () -> alertListeners.remove(listener);
    }

    void alert(TargetSpec spec, Action.Alert alert) {
        AlertEvent event = new AlertEvent(spec.name(), spec.ref(), alert);
        for (Consumer<AlertEvent> listener : alertListeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                log.warn("alert listener failed", e);
            }
        }
    }

    /** Sees every event a target's automaton handled and the (safe) decision that followed. */
    @FunctionalInterface
    public interface DecisionListener {
        /** Called on the target's actor thread; must not block. */
        void onDecision(TargetRef target, io.zeroscale.spi.automaton.Event event, io.zeroscale.spi.automaton.Decision decision);
    }

    /**
     * Calls {@code listener} after every event any automaton handles (live views, benchmarks). A
     * target with nothing time-dependent pending skips its ticks (see {@code TickSchedule}), so
     * the listener sees no decision for a tick that would change nothing.
     */
    public Subscription subscribeDecisions(DecisionListener listener) {
        decisionListeners.add(listener);
        return () -> decisionListeners.remove(listener);
    }

    /**
     * As {@link #subscribeDecisions}, for a listener that judges time itself on each decision
     * (alerts: "unknown for longer than", "waking for longer than"): while it is subscribed every
     * target ticks, as if no tick could be skipped.
     */
    Subscription subscribeDecisionsEveryTick(DecisionListener listener) {
        decisionListeners.add(listener);
        tickingListeners.incrementAndGet();
        // Quiet targets stopped ticking: a message makes each one look again.
        actors.values().forEach(actor -> actor.post(() -> {}));
        return () -> {
            if (decisionListeners.remove(listener)) {
                tickingListeners.decrementAndGet();
            }
        };
    }

    /** True while a listener wants every target's every tick (see {@link #subscribeDecisionsEveryTick}). */
    boolean decisionsNeedTicks() {
        return tickingListeners.get() > 0;
    }

    /**
     * {@code from}'s automaton decided; on its actor. The wake times read the status the decision
     * left from the actor itself (no lookup per decision), unless it was retired meanwhile: a
     * removed target's times are forgotten, and a replaced one's belong to its successor.
     */
    void decided(TargetActor from, io.zeroscale.spi.automaton.Event event, io.zeroscale.spi.automaton.Decision decision) {
        TargetRef target = from.spec().ref();
        if (!from.retired()) {
            wakeTimes.decided(target, from.status(), decision);
        }
        for (DecisionListener listener : decisionListeners) {
            try {
                listener.onDecision(target, event, decision);
            } catch (RuntimeException e) {
                log.warn("decision listener failed", e);
            }
        }
    }

    /** Reads {@code actor}'s operator state from the store again, off its thread, and hands it back to it. */
    void reloadOperator(TargetActor actor) {
        blocking.execute(() -> actor.operatorReloaded(saved.loadOperator(actor.spec().name())));
    }

    /** A target's actor changed what an operator set: keep it for the next start, unless the actor was replaced. */
    void operatorChanged(TargetActor from, SavedState.Operator operator) {
        if (actors.get(from.spec().ref()) == from) {
            saved.saveOperator(from.spec().name(), operator);
        }
    }

    /** A target's automaton changed state or decision: tells the plugins that listen. */
    void changed(TargetRef target, String from, String to, io.zeroscale.spi.automaton.Decision decision, boolean leader) {
        if (!events.isEmpty()) {
            events.publish(new EngineEvent.Decided(scheduler.clock().instant(), target, from, to, decision, leader));
        }
    }

    /**
     * Calls {@code listener} with a target's ref each time its {@link #status} was refreshed, on its
     * actor thread, after the new status is readable: after every decision, and after what changes a
     * status without one (an operator's pause or override, an observation while paused, leadership).
     * For live views that must not miss a change; {@code listener} must not block.
     */
    public Subscription subscribeStatus(Consumer<TargetRef> listener) {
        statusListeners.add(listener);
        return () -> statusListeners.remove(listener);
    }

    void statusChanged(TargetRef target) {
        if (statusListeners.isEmpty()) {
            return; // after every decision of every target: no iterator when nobody listens
        }
        for (Consumer<TargetRef> listener : statusListeners) {
            try {
                listener.accept(target);
            } catch (RuntimeException e) {
                log.warn("status listener failed", e);
            }
        }
    }

    /** How long each target's wakes took: the last, the median and the p99. */
    public WakeTimes wakeTimes() {
        return wakeTimes;
    }

    /** Who decides: {@link Leadership#always()} unless a plugin or the embedder supplied one. */
    public Leadership leadership() {
        return leadership;
    }

    public Journal journal() {
        return journal;
    }

    EngineTelemetry telemetry() {
        return telemetry;
    }

    /** Every target's current status, in the order targets were added. */
    public List<TargetStatus> statuses() {
        List<TargetStatus> out = new ArrayList<>();
        synchronized (this) {
            actorsByName.values().forEach(actor -> out.add(actor.status()));
        }
        return out;
    }

    /**
     * The status of the target that scales {@code ref}, or null when there is none: a lookup by ref,
     * not a search of {@link #statuses()}, for readers that follow many targets' changes.
     */
    public @Nullable TargetStatus statusOf(TargetRef ref) {
        TargetActor actor = actors.get(ref);
        return actor == null ? null : actor.status();
    }

    /** True while calls to {@code orchestrator} are refused because its circuit breaker is open. */
    boolean actuationBlocked(String orchestrator) {
        Actuator actuator = actuators.get(orchestrator);
        if (actuator == null) {
            return false;
        }
        io.github.resilience4j.circuitbreaker.CircuitBreaker.State state = actuator.breakerState();
        return state == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN
                || state == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.FORCED_OPEN;
    }

    /** The spec of the target named {@code name} now, if there is one. */
    public synchronized Optional<TargetSpec> spec(String name) {
        return Optional.ofNullable(actorsByName.get(name)).map(TargetActor::spec);
    }

    /** The state diagram of the automaton of the target named {@code target}, if there is one. */
    public Optional<io.zeroscale.spi.automaton.StateDiagram> diagram(String target) {
        TargetActor actor;
        synchronized (this) {
            actor = actorsByName.get(target);
        }
        return Optional.ofNullable(actor).map(TargetActor::diagram);
    }

    public Optional<TargetStatus> status(String target) {
        TargetActor actor;
        synchronized (this) {
            actor = actorsByName.get(target);
        }
        return Optional.ofNullable(actor).map(TargetActor::status);
    }

    /**
     * Pauses or resumes a target's automaton; while paused its replicas stay as they are.
     *
     * @return completed by the target's actor once it applied the change, with the status that
     *     shows it ({@link #status} reads it from then on); failed with {@code NOT_FOUND} when the
     *     target was reconfigured, removed or stopped before it was applied (send it again). The
     *     change itself is posted at once: a caller that does not wait still gets it applied.
     * @throws ZeroscaleException {@code NOT_FOUND} when there is no target named {@code target}
     */
    public CompletionStage<TargetStatus> setAutomationPaused(String target, boolean paused, String who) {
        return actor(target).setAutomationPaused(paused, who).minimalCompletionStage();
    }

    /**
     * Pins a target's replicas (within max) until {@code expiry} passes; null replicas clears it.
     * The safety rules still apply: an override to zero waits for held requests.
     *
     * @return completed once applied, as {@link #setAutomationPaused} describes
     * @throws ZeroscaleException {@code NOT_FOUND} when there is no target named {@code target}
     */
    public CompletionStage<TargetStatus> setOverride(String target, @Nullable Integer replicas, @Nullable Duration expiry, String who) {
        return actor(target).setOverride(replicas, expiry, who).minimalCompletionStage();
    }

    private TargetActor actor(String target) {
        TargetActor actor;
        synchronized (this) {
            actor = actorsByName.get(target);
        }
        if (actor == null) {
            throw new ZeroscaleException(NOT_FOUND, "no target named '" + target + "'");
        }
        return actor;
    }

    /**
     * Stops the actors and closes orchestrators and sources the engine owns. Never scales
     * anything: workloads keep running as they are.
     */
    @Override
    public void close() {
        closed = true;
        leadershipWatch.close();
        gatewayWatch.close();
        actors.values().forEach(TargetActor::close);
        histories.close();
        try {
            saved.close();
        } catch (RuntimeException e) {
            log.warn("saving the engine's state on close failed", e);
        }
        events.close();
        telemetry.close();
        for (AutoCloseable resource : owned) {
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("closing {} failed", resource, e);
            }
        }
    }
}
