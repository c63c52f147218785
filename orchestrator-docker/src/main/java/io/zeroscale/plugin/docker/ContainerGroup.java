package io.zeroscale.plugin.docker;

import static java.util.Objects.requireNonNull;

import io.zeroscale.plugin.docker.DockerEngine.ContainerSpec;
import io.zeroscale.plugin.docker.DockerEngine.ContainerView;
import io.zeroscale.plugin.docker.DockerEngine.EngineEvent;
import io.zeroscale.plugin.docker.DockerEngine.HostPort;
import io.zeroscale.plugin.docker.DockerEngine.State;
import io.zeroscale.plugin.support.SerialExecutor;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target: the containers carrying its label on every host, the replica count last asked for,
 * and the watchers of its state. Every backend operation runs under one lock, so a scale, a
 * refresh triggered by an event and a replacement never interleave and never double-create.
 */
final class ContainerGroup {
    static final String LABEL_PREFIX = "io.zeroscale.";
    /** Marks containers this orchestrator created; its value is the target, e.g. {@code docker/ContainerGroup/web}. */
    static final String GROUP_LABEL = LABEL_PREFIX + "group";

    private static final Logger log = LoggerFactory.getLogger(ContainerGroup.class);
    /** Lines of a failed container's logs sent with its failure. */
    static final int OUTPUT_LINES = 10;
    private static final int EXIT_SIGKILL = 137;

    private final TargetRef target;
    private final String groupValue;
    private final List<DockerEngine> engines;
    private final Probe probe;
    private final Scheduler scheduler;
    private final Executor executor;
    private final SerialExecutor delivery;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private final AtomicBoolean probeScheduled = new AtomicBoolean();
    private final AtomicBoolean startupProbeScheduled = new AtomicBoolean();
    private final Set<String> stopping = ConcurrentHashMap.newKeySet();
    private final Set<String> knownIds = ConcurrentHashMap.newKeySet();
    /** Containers we started and have not seen die or stopped: one that dies before any refresh saw it run still failed. */
    private final Set<String> launched = ConcurrentHashMap.newKeySet();
    /** When the group first saw each running container not ready, for {@code readiness.start-timeout}. */
    private final Map<String, Instant> unreadySince = new ConcurrentHashMap<>();
    /** Containers stopped because they missed the start timeout: already reported as failed. */
    private final Set<String> timedOut = ConcurrentHashMap.newKeySet();
    private final Set<CompletableFuture<Void>> stops = ConcurrentHashMap.newKeySet();
    /** The stopped tier: our containers a scale-down stopped and kept (not removed), and since when. */
    private final Map<String, Kept> kept = new ConcurrentHashMap<>();
    /** Containers being stopped that will join {@link #kept} once stopped. */
    private final Set<String> toKeep = ConcurrentHashMap.newKeySet();
    private final List<Consumer<WorkloadEvent>> listeners = new CopyOnWriteArrayList<>();
    /**
     * Counts what may have changed the group since it was last read: an event about one of its
     * containers, a lost event stream, a start, create or stop of its own. The last read is current
     * while nothing was counted after it began ({@link #knownAt}).
     */
    private final AtomicLong changes = new AtomicLong();
    /** True while every host's event stream is connected: only then does a quiet stream mean nothing changed. */
    private final BooleanSupplier eventsFlowing;
    private volatile Subscription probeTimer = Subscription.NONE;
    private volatile Subscription startupProbeTimer = Subscription.NONE;
    private volatile GroupSpec spec;
    private volatile boolean closed;

    // Guarded by lock.
    private @Nullable Integer desired;
    private Set<String> liveIds = Set.of();
    private Set<String> readyIds = Set.of();
    /** Paused containers that were ready when they were paused: ready again as soon as they are unpaused. */
    private Set<String> frozenReady = Set.of();
    private final List<Consumer<WorkloadEvent>> newListeners = new ArrayList<>();
    private @Nullable ObservedState lastPushed;
    private final Set<String> warnedNoPort = new HashSet<>();
    /** Running containers with a port our probe has not passed yet, probed every startup-interval. */
    private List<Member> starting = List.of();
    /** The live containers of the last read, so a passed startup probe is pushed without re-reading the hosts. */
    private List<Member> lastLive = List.of();
    /** {@link #changes} when the read behind {@link #lastLive} began; -1 before the first read. */
    private long knownAt = -1;

    ContainerGroup(TargetRef target, GroupSpec spec, List<DockerEngine> engines, Probe probe, Scheduler scheduler,
            Executor executor, BooleanSupplier eventsFlowing) {
        this.target = requireNonNull(target, "target is null");
        this.groupValue = target.toString();
        this.spec = requireNonNull(spec, "spec is null");
        this.engines = List.copyOf(engines);
        this.probe = requireNonNull(probe, "probe is null");
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        this.executor = requireNonNull(executor, "executor is null");
        this.delivery = new SerialExecutor(executor);
        this.eventsFlowing = requireNonNull(eventsFlowing, "eventsFlowing is null");
    }

    TargetRef target() {
        return target;
    }

    void respecify(GroupSpec newSpec) {
        requireNonNull(newSpec, "newSpec is null");
        GroupSpec old = spec;
        spec = newSpec;
        if (!old.equals(newSpec)) {
            // A kept container was made from the old template: it must not come back as a replica.
            discardKept("the workload's settings changed");
        }
    }

    /** Reads what a previous run left: removes our dead and never-started containers, adopts the rest. */
    void adopt() {
        lock.lock();
        try {
            List<Member> members = read();
            if (!spec.adopting()) {
                // The newest stopped containers a previous run kept are the stopped tier again.
                int keep = spec.stoppedTier().keep() - kept.size();
                List<Member> byNewest = new ArrayList<>(members);
                byNewest.sort(Comparator.comparingLong((Member m) -> m.view.createdAt()).reversed());
                for (Member m : byNewest) {
                    if (keep > 0 && m.view.state() == State.EXITED && !kept.containsKey(m.view.id())) {
                        log.info("{}: keeping stopped container {} on {} (stopped tier)", target, m.view.name(), m.engine.host());
                        kept.put(m.view.id(), new Kept(m.engine, m.view.name(), scheduler.clock().instant()));
                        keep--;
                    }
                }
                for (Member m : members) {
                    if (kept.containsKey(m.view.id())) {
                        continue;
                    }
                    if (m.view.state() == State.CREATED || !m.view.state().live()) {
                        log.info("{}: removing leftover container {} ({}) on {}", target, m.view.name(),
                                m.view.state(), m.engine.host());
                        m.engine.remove(m.view.id());
                    }
                }
            }
            refreshLocked();
        } finally {
            lock.unlock();
        }
    }

    ObservedState observe() {
        lock.lock();
        try {
            return refreshLocked();
        } finally {
            lock.unlock();
        }
    }

    void scale(int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
        }
        lock.lock();
        try {
            desired = replicas;
            reconcileLocked();
        } finally {
            lock.unlock();
        }
        requestRefresh();
    }

    /**
     * {@code ConditionalWake}: one replica if the group has none, decided by the host rather than by
     * this instance's view, so that of several orchestrators racing (daemons over one host, each
     * with its own view) exactly one wakes it. The replica has a name fixed per group ({@link
     * #wakeName()}) on the first host, which refuses a second container of one name; whoever finds
     * it created or stopped starts it, and the host answers "already started" (304) to all but
     * one. An adopting group without an image starts its first stopped container by name instead.
     *
     * @return true when this call started a replica
     */
    boolean wakeIfZero() {
        lock.lock();
        try {
            // A few reads at most: each retry follows another caller's create or a stop under way.
            for (int attempt = 0; attempt < 5; attempt++) {
                List<Member> members = read();
                if (!live(members).isEmpty()) {
                    return false;
                }
                if (!stops.isEmpty()) {
                    // A replica is being stopped: once stopped, the name it may hold is free to start again.
                    awaitStops(spec.stopGrace().plus(Duration.ofSeconds(30)));
                    continue;
                }
                if (spec.adopting() && spec.image() == null) {
                    Member first = members.stream()
                            .filter(m -> !ours(m) && m.view.state() == State.EXITED)
                            .min(Comparator.comparing((Member m) -> m.view.name()))
                            .orElse(null);
                    if (first == null) {
                        throw new ZeroscaleException(DockerErrorCode.NOT_ENOUGH_CONTAINERS, target + ": asked to wake,"
                                + " but no stopped container carries the label '" + spec.adoptLabel() + "'");
                    }
                    return startedByWake(first.engine, first.view.id(), first.view.name(), "stopped", false);
                }
                DockerEngine host = engines.get(0);
                String name = wakeName();
                Member named = members.stream()
                        .filter(m -> m.engine == host && m.view.name().equals(name))
                        .findFirst()
                        .orElse(null);
                if (named == null) {
                    String id = host.createIfAbsent(containerSpec(host, name));
                    if (id == null) {
                        // Another orchestrator created it between our read and our create: read again.
                        continue;
                    }
                    return startedByWake(host, id, name, "created", true);
                }
                State state = named.view.state();
                if (state == State.CREATED || state == State.EXITED) {
                    return startedByWake(host, named.view.id(), name, state == State.CREATED ? "created" : "stopped", false);
                }
                // DEAD or REMOVING: let it go, then read again.
                awaitGone(host, named.view.id());
            }
            throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED, target + ": could not wake: the container "
                    + wakeName() + " on " + engines.get(0).host() + " kept changing while it was read; the next wake tries again");
        } finally {
            lock.unlock();
        }
    }

    /**
     * The name of the replica a conditional wake makes: the same for every orchestrator instance
     * over this group (the target's name and a hash of the whole target), so the host's refusal of
     * a second container of one name is the lock.
     */
    String wakeName() {
        return "zs-" + target.name().replaceAll("[^a-zA-Z0-9_.-]", "-") + "-wake-"
                + HexFormat.of().toHexDigits(groupValue.hashCode());
    }

    /** Starts {@code id} for a conditional wake; {@code createdHere}: this call created it, and removes it if it cannot start. */
    private boolean startedByWake(DockerEngine host, String id, String name, String tier, boolean createdHere) {
        boolean started;
        try {
            started = host.start(id);
        } catch (ZeroscaleException e) {
            if (createdHere) {
                // Left created, it would count as a replica starting and block every later wake.
                try {
                    host.remove(id);
                } catch (ZeroscaleException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        if (!started) {
            // Another orchestrator started it first.
            return false;
        }
        kept.remove(id);
        changes.incrementAndGet();
        knownIds.add(id);
        launched.add(id);
        desired = Math.max(desired == null ? 0 : desired, 1);
        log.info("{}: started container {} on {} (conditional wake, tier '{}')", target, name, host.host(), tier);
        announce(new WorkloadEvent.ReplicaStarted(name, tier));
        requestRefresh();
        return true;
    }

    /**
     * Waits (bounded, under the lock) until {@code id} is no longer on {@code host}: a dead container
     * of ours, which the refresh removes, or one the engine is removing.
     */
    private void awaitGone(DockerEngine host, String id) {
        refreshLocked();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        try {
            while (System.nanoTime() < deadline
                    && host.containers(GROUP_LABEL + "=" + groupValue).stream().anyMatch(view -> view.id().equals(id))) {
                // Paces the polling of the host: the engine sends no event we could wait on here.
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED, target + ": interrupted while waking", e);
        }
    }

    void pause() {
        lock.lock();
        try {
            for (Member m : live(read())) {
                if (m.view.state() == State.RUNNING) {
                    m.engine.pause(m.view.id());
                }
            }
            refreshLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Unpauses the group. A wake from PAUSED waits on this, so the containers the last read saw
     * paused are unpaused at once, without reading the host first. Those that were ready when they
     * were paused are ready again the moment they thaw (a frozen process keeps its listening
     * sockets, and the kernel accepts connections to them while it is frozen), so when the last
     * read is current they are announced ready <em>before</em> the unpause calls, without a probe:
     * the engine publishes the route while the engine API is still thawing them, and a request
     * forwarded meanwhile waits in the socket's backlog and is answered at the thaw. Any other
     * container is judged after its unpause (the readiness probe says when it serves). A full read
     * in the background confirms it. If one of them cannot be unpaused (no longer paused, or gone:
     * someone else changed it), the host is read and whatever is still paused is unpaused; that
     * read's state replaces an early announcement (a request sent to a container that is gone is
     * refused, and the gateway holds it again).
     */
    void resume() {
        lock.lock();
        try {
            List<Member> known = lastLive;
            List<Member> resumed = new ArrayList<>(known.size());
            Set<String> trusted = new HashSet<>();
            for (Member m : known) {
                boolean paused = m.view.state() == State.PAUSED;
                resumed.add(paused ? new Member(m.engine, m.view.withState(State.RUNNING)) : m);
                if (paused && frozenReady.contains(m.view.id())) {
                    trusted.add(m.view.id());
                }
            }
            boolean fast = known.stream().anyMatch(m -> m.view.state() == State.PAUSED);
            boolean early = fast && lastReadCurrent()
                    && known.stream().allMatch(m -> m.view.state() != State.PAUSED || trusted.contains(m.view.id()));
            if (early) {
                evaluateLocked(resumed, trusted);
            }
            for (Member m : fast ? known : List.<Member>of()) {
                if (m.view.state() != State.PAUSED) {
                    continue;
                }
                boolean unpaused;
                try {
                    unpaused = m.engine.unpause(m.view.id());
                } catch (ZeroscaleException e) {
                    log.debug("{}: unpausing {} as last seen failed ({}); reading the group", target, m.view.name(),
                            e.getMessage());
                    if (early) {
                        // It may still be frozen: take back the early announcement until a read says more.
                        evaluateLocked(known);
                    }
                    unpaused = false;
                }
                if (!unpaused) {
                    fast = false;
                    break;
                }
            }
            if (fast) {
                changes.incrementAndGet();
                if (!early) {
                    evaluateLocked(resumed, trusted);
                }
                requestRefresh();
                return;
            }
            changes.incrementAndGet();
            for (Member m : live(read())) {
                if (m.view.state() == State.PAUSED) {
                    m.engine.unpause(m.view.id());
                }
            }
            refreshLocked();
        } finally {
            lock.unlock();
        }
    }

    void resize(ResourceProfile profile) {
        lock.lock();
        try {
            spec = spec.with(profile);
            // Kept containers have the old limits; new ones get the new profile.
            discardKept("the resource profile changed");
            for (Member m : live(read())) {
                if (m.view.state() == State.RUNNING || m.view.state() == State.PAUSED) {
                    m.engine.update(m.view.id(), profile.cpus(), profile.memoryBytes());
                }
            }
        } finally {
            lock.unlock();
        }
    }

    void remove(List<Endpoint> drained) {
        Set<Endpoint> wanted = Set.copyOf(drained);
        lock.lock();
        try {
            List<Member> live = live(read());
            int removed = 0;
            for (Member m : live) {
                Endpoint endpoint = endpoint(m);
                if (endpoint != null && wanted.contains(endpoint)) {
                    stopAsync(m);
                    removed++;
                }
            }
            desired = Math.max(0, (desired == null ? live.size() : desired) - removed);
            refreshLocked();
        } finally {
            lock.unlock();
        }
    }

    Subscription watch(Consumer<WorkloadEvent> listener) {
        requireNonNull(listener, "listener is null");
        lock.lock();
        try {
            newListeners.add(listener);
        } finally {
            lock.unlock();
        }
        requestRefresh();
        return () -> {
            lock.lock();
            try {
                newListeners.remove(listener);
            } finally {
                lock.unlock();
            }
            listeners.remove(listener);
        };
    }

    boolean watched() {
        return !listeners.isEmpty() || hasNewListeners();
    }

    private boolean hasNewListeners() {
        lock.lock();
        try {
            return !newListeners.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** True when {@code event} is about one of this group's containers. */
    boolean concerns(DockerEngine.EngineEvent event) {
        if (knownIds.contains(event.containerId())) {
            return true;
        }
        if (groupValue.equals(event.attributes().get(GROUP_LABEL))) {
            return true;
        }
        String adopt = spec.adoptLabel();
        return adopt != null && matches(adopt, event.attributes());
    }

    void onEvent(EngineEvent event) {
        if (concerns(event)) {
            changes.incrementAndGet();
            requestRefresh();
        }
    }

    /** Something may have changed unseen (an event stream reconnected): the next scale reads the hosts first. */
    void invalidate() {
        changes.incrementAndGet();
    }

    /** Re-reads the group soon, off the caller's thread; calls made while one is queued fold into it. */
    void requestRefresh() {
        if (closed || !refreshQueued.compareAndSet(false, true)) {
            return;
        }
        executor.execute(() -> {
            refreshQueued.set(false);
            if (closed) {
                return;
            }
            lock.lock();
            try {
                refreshLocked();
            } catch (ZeroscaleException e) {
                // Unknown is not zero: watchers hear nothing until the host answers again.
                log.warn("{}: could not read the group", target, e);
            } catch (RuntimeException e) {
                log.error("{}: refresh failed", target, e);
            } finally {
                lock.unlock();
            }
        });
    }

    void close() {
        closed = true;
        probeTimer.close();
        startupProbeTimer.close();
        listeners.clear();
        lock.lock();
        try {
            newListeners.clear();
        } finally {
            lock.unlock();
        }
    }

    // ---- under the lock ----

    private ObservedState refreshLocked() {
        long at = changes.get();
        List<Member> members = read();
        expireKept(members);
        ObservedState state = evaluateLocked(members);
        knownAt = at;
        return state;
    }

    /**
     * The last read is still what the hosts hold: it was read after the last event about the group
     * and after the group's own last start, create or stop, and every host's event stream has been
     * connected since (so a change by anyone else would have been counted).
     */
    private boolean lastReadCurrent() {
        return knownAt >= 0 && knownAt == changes.get() && eventsFlowing.getAsBoolean();
    }

    /**
     * The group's state from {@code members} (a fresh read, or the live members of the last one when
     * a startup probe just passed), pushed to watchers when it changed.
     */
    private ObservedState evaluateLocked(List<Member> members) {
        return evaluateLocked(members, Set.of());
    }

    /**
     * As {@link #evaluateLocked(List)}, counting the running containers of {@code trusted} ready
     * without probing them: containers that were ready when they were paused and have just been
     * unpaused.
     */
    private ObservedState evaluateLocked(List<Member> members, Set<String> trusted) {
        Set<String> previouslyLive = liveIds;
        List<WorkloadEvent> failures = new ArrayList<>();
        Set<String> present = new HashSet<>();
        members.forEach(m -> present.add(m.view.id()));
        // Containers gone altogether (removed) need no start-timeout bookkeeping any more.
        unreadySince.keySet().retainAll(present);
        timedOut.retainAll(present);
        for (Member m : members) {
            if (stopping.contains(m.view.id()) || m.view.state().live() || m.view.state() == State.REMOVING) {
                if (m.view.state().live() && !stopping.contains(m.view.id())) {
                    // Started by someone else: no longer in the stopped tier.
                    kept.remove(m.view.id());
                }
                continue;
            }
            if (kept.containsKey(m.view.id())) {
                // Stopped on purpose and kept: the stopped tier, not a failure.
                continue;
            }
            boolean launchedByUs = launched.remove(m.view.id());
            unreadySince.remove(m.view.id());
            if (timedOut.remove(m.view.id())) {
                // Reported when it missed its start timeout; its stop is not a second failure.
                continue;
            }
            if (previouslyLive.contains(m.view.id()) || launchedByUs) {
                String reason = failureReason(m, readyIds.contains(m.view.id()));
                // Read before the removal below takes the logs with it.
                List<String> output = m.engine.logs(m.view.id(), OUTPUT_LINES);
                failures.add(new WorkloadEvent.ReplicaFailed(m.view.name(), reason, output));
                log.warn("{}: container {} {}; last output: {}", target, m.view.name(), reason, output);
            }
            if (ours(m)) {
                try {
                    m.engine.remove(m.view.id());
                } catch (ZeroscaleException e) {
                    log.warn("{}: could not remove dead container {}", target, m.view.name(), e);
                }
            }
        }
        List<Member> live = live(members);
        Set<String> ids = new HashSet<>();
        Set<String> readyNow = new HashSet<>();
        List<Endpoint> endpoints = new ArrayList<>();
        List<Member> startingNow = new ArrayList<>();
        int ready = 0;
        int paused = 0;
        boolean waiting = false;
        GroupSpec current = spec;
        // Oldest first, as ObservedState promises: the engine drains from the end of the list on a
        // scale-down. Ties (an engine that reports creation coarsely) keep a stable order by address.
        List<Member> byAge = new ArrayList<>(live);
        byAge.sort(Comparator.comparingLong((Member m) -> m.view.createdAt())
                .thenComparing(m -> String.valueOf(endpoint(m))));
        Set<String> frozenReadyNow = new HashSet<>();
        for (Member m : byAge) {
            ids.add(m.view.id());
            if (m.view.state() == State.PAUSED) {
                paused++;
                if (readyIds.contains(m.view.id()) || frozenReady.contains(m.view.id())) {
                    frozenReadyNow.add(m.view.id());
                }
            } else if ((m.view.state() == State.RUNNING && m.view.health() != DockerEngine.Health.UNHEALTHY
                    && trusted.contains(m.view.id())) || ready(m)) {
                unreadySince.remove(m.view.id());
                ready++;
                readyNow.add(m.view.id());
                Endpoint endpoint = endpoint(m);
                if (endpoint != null) {
                    endpoints.add(endpoint);
                }
            } else if (!missedStartTimeout(m, current, failures)) {
                // (a container that missed its start timeout is being stopped: neither ready nor waited for)
                waiting = true;
                if (m.view.state() == State.RUNNING && m.view.health() != DockerEngine.Health.UNHEALTHY
                        && current.readiness().kind() != GroupSpec.ProbeKind.NONE && endpoint(m) != null) {
                    startingNow.add(m);
                }
            }
        }
        lastLive = List.copyOf(live);
        frozenReady = Set.copyOf(frozenReadyNow);
        starting = List.copyOf(startingNow);
        knownIds.addAll(ids);
        liveIds = Set.copyOf(ids);
        readyIds = Set.copyOf(readyNow);
        // Endpoints stay oldest first (the order built above): the engine drains the newest.
        // The desired count is what this group was asked for, except that it no longer replaces
        // containers that died (or were removed behind its back): those leave its desired count
        // too, so the engine sees the shortfall and restarts them with its crash-loop backoff.
        int wanted = desired == null ? live.size() : Math.min(desired, live.size());
        ObservedState state = new ObservedState(wanted, live.size(), ready, paused, endpoints, scheduler.clock().instant());
        deliver(failures, state);
        // A failed container is not replaced here: the engine restarts it with its crash-loop
        // backoff by scaling again, so one policy (start-failures) paces every orchestrator.
        if (waiting) {
            scheduleProbe();
        }
        if (!startingNow.isEmpty()) {
            scheduleStartupProbe();
        }
        return state;
    }

    /**
     * With {@code readiness.start-timeout}: a running container still not ready that long after the
     * group first saw it is a failed start, reported with its last output and stopped (never kept in
     * the stopped tier), so the engine's crash-loop backoff applies as for a container that exits.
     */
    private boolean missedStartTimeout(Member m, GroupSpec current, List<WorkloadEvent> failures) {
        Duration timeout = current.readiness().startTimeout();
        String id = m.view.id();
        if (timeout == null || m.view.state() != State.RUNNING || stopping.contains(id)) {
            return false;
        }
        Instant now = scheduler.clock().instant();
        Instant since = unreadySince.computeIfAbsent(id, ignored -> now);
        if (now.isBefore(since.plus(timeout))) {
            return false;
        }
        String reason = "was not ready within readiness.start-timeout " + io.zeroscale.spi.Durations.format(timeout)
                + " (on " + m.engine.host() + "); stopping it";
        List<String> output = m.engine.logs(id, OUTPUT_LINES);
        failures.add(new WorkloadEvent.ReplicaFailed(m.view.name(), reason, output));
        log.warn("{}: container {} {}; last output: {}", target, m.view.name(), reason, output);
        unreadySince.remove(id);
        timedOut.add(id);
        stopAsync(m, false);
        return true;
    }

    /**
     * Probes the ports of starting containers every {@code readiness.startup-interval} (10 ms by
     * default), without reading the hosts: a wake waits for exactly this moment, and a full read
     * every 10 ms would load the engine. The engine's event stream says when a container starts
     * (which reads the group and finds its port); this finds when it listens.
     */
    private void scheduleStartupProbe() {
        if (closed || !startupProbeScheduled.compareAndSet(false, true)) {
            return;
        }
        startupProbeTimer = scheduler.schedule(spec.readiness().startupInterval(), () -> executor.execute(this::startupProbe));
    }

    private void startupProbe() {
        startupProbeScheduled.set(false);
        if (closed) {
            return;
        }
        List<Member> candidates;
        lock.lock();
        try {
            candidates = starting;
        } finally {
            lock.unlock();
        }
        if (candidates.isEmpty()) {
            return;
        }
        GroupSpec.Readiness readiness = spec.readiness();
        // Outside the lock: one probe may block up to its timeout.
        boolean passed = false;
        for (Member m : candidates) {
            Endpoint endpoint = endpoint(m);
            if (endpoint != null && probe.ready(endpoint, readiness)) {
                passed = true;
                break;
            }
        }
        if (!passed) {
            scheduleStartupProbe();
            return;
        }
        lock.lock();
        try {
            if (!closed) {
                evaluateLocked(lastLive);
            }
        } catch (ZeroscaleException e) {
            log.warn("{}: could not evaluate the group", target, e);
        } finally {
            lock.unlock();
        }
        // Confirm with a full read (and go on probing any container still starting).
        requestRefresh();
    }

    /** Removes kept stopped containers older than keep-stopped-for, and forgets those gone. */
    private void expireKept(List<Member> members) {
        if (kept.isEmpty()) {
            return;
        }
        Set<String> present = new HashSet<>();
        members.forEach(m -> present.add(m.view.id()));
        java.time.Instant now = scheduler.clock().instant();
        Duration keepFor = spec.stoppedTier().keepFor();
        // A copy: entries are removed while going through them.
        for (Map.Entry<String, Kept> entry : List.copyOf(kept.entrySet())) {
            Kept k = entry.getValue();
            if (!present.contains(entry.getKey())) {
                kept.remove(entry.getKey());
            } else if (!k.since().plus(keepFor).isAfter(now)) {
                kept.remove(entry.getKey());
                log.info("{}: removing stopped container {} on {}: kept for {}", target, k.name(), k.engine().host(),
                        io.zeroscale.spi.Durations.format(keepFor));
                try {
                    k.engine().remove(entry.getKey());
                } catch (ZeroscaleException e) {
                    log.warn("{}: could not remove stopped container {}", target, k.name(), e);
                }
            }
        }
    }

    /** Removes every kept stopped container (in the background): they no longer match the template. */
    private void discardKept(String why) {
        List<Map.Entry<String, Kept>> discarded = List.copyOf(kept.entrySet());
        toKeep.clear();
        if (discarded.isEmpty()) {
            return;
        }
        discarded.forEach(entry -> kept.remove(entry.getKey()));
        executor.execute(() -> {
            for (Map.Entry<String, Kept> entry : discarded) {
                log.info("{}: removing stopped container {}: {}", target, entry.getValue().name(), why);
                try {
                    entry.getValue().engine().remove(entry.getKey());
                } catch (ZeroscaleException e) {
                    log.warn("{}: could not remove stopped container {}", target, entry.getValue().name(), e);
                }
            }
        });
    }

    /**
     * Tells watchers something that is not a state, in order with the state changes; every listener,
     * those still waiting for their first state included: a watch made just before a scale would
     * otherwise miss the start it caused.
     */
    private void announce(WorkloadEvent event) {
        List<Consumer<WorkloadEvent>> all = new ArrayList<>(listeners);
        lock.lock();
        try {
            all.addAll(newListeners);
        } finally {
            lock.unlock();
        }
        if (!all.isEmpty()) {
            delivery.execute(() -> all.forEach(listener -> listener.accept(event)));
        }
    }

    /**
     * Why a container died, in a user's words. Podman 4.3 on cgroup v1 enforces {@code --memory}
     * (the kernel's cgroup OOM killer kills it: exit code 137) but reports {@code OOMKilled:
     * false} and no {@code oom} event, so a SIGKILL we did not send to a container with a memory
     * limit is named as the likely OOM kill it is, and says the engine did not confirm it.
     */
    private static String failureReason(Member m, boolean wasReady) {
        ContainerView view = m.view;
        String when = wasReady ? "" : " before it was ready";
        String where = " (on " + m.engine.host() + ")";
        if (view.oomKilled()) {
            return "was killed for exceeding its memory limit" + limit(view) + " (OOM)" + when + where;
        }
        if (view.exitCode() == EXIT_SIGKILL && view.memoryLimit() > 0) {
            return "was killed (exit code 137, SIGKILL)" + when + " with a memory limit" + limit(view)
                    + ": most likely out of memory (OOM), though the engine did not report an OOM kill" + where;
        }
        return "exited with code " + view.exitCode() + when + where;
    }

    private static String limit(ContainerView view) {
        long bytes = view.memoryLimit();
        if (bytes <= 0) {
            return "";
        }
        return bytes % (1024 * 1024) == 0 ? " of " + bytes / (1024 * 1024) + " MiB" : " of " + bytes + " bytes";
    }

    private void deliver(List<WorkloadEvent> failures, ObservedState state) {
        List<Consumer<WorkloadEvent>> established = List.copyOf(listeners);
        List<WorkloadEvent> events = new ArrayList<>(failures);
        if (lastPushed == null || state.differsFrom(lastPushed) || !failures.isEmpty()) {
            events.add(new WorkloadEvent.Changed(state));
        }
        lastPushed = state;
        List<Consumer<WorkloadEvent>> joining = List.copyOf(newListeners);
        newListeners.clear();
        listeners.addAll(joining);
        if (events.isEmpty() && joining.isEmpty()) {
            return;
        }
        WorkloadEvent current = new WorkloadEvent.Changed(state);
        delivery.execute(() -> {
            for (Consumer<WorkloadEvent> listener : established) {
                events.forEach(listener);
            }
            for (Consumer<WorkloadEvent> listener : joining) {
                listener.accept(current);
            }
        });
    }

    private void reconcileLocked() {
        int want = requireNonNull(desired, "desired is null");
        if (!spec.adopting() && lastReadCurrent()) {
            List<Member> known = live(lastLive);
            if (known.size() == want) {
                return;
            }
            if (known.size() < want && scaleUpFromLastRead(known, want)) {
                return;
            }
        }
        List<Member> members = read();
        List<Member> live = live(members);
        if (live.size() < want && spec.adopting() && !stops.isEmpty()) {
            // An adopted container still being stopped is the one to start again: let the stop end.
            awaitStops(spec.stopGrace().plus(Duration.ofSeconds(30)));
            members = read();
            live = live(members);
        }
        if (live.size() < want) {
            int missing = want - live.size();
            Map<DockerEngine, Integer> perHost = new LinkedHashMap<>();
            engines.forEach(e -> perHost.put(e, 0));
            live.forEach(m -> perHost.merge(m.engine, 1, Integer::sum));
            // The stopped tier first: a start, not a create and a start.
            for (Member m : members) {
                if (missing == 0) {
                    break;
                }
                String id = m.view.id();
                if (kept.remove(id) == null || stopping.contains(id) || m.view.state() != State.EXITED) {
                    continue;
                }
                boolean started;
                try {
                    started = m.engine.start(id);
                } catch (ZeroscaleException e) {
                    log.warn("{}: could not start stopped container {}; removing it and creating a new one", target,
                            m.view.name(), e);
                    try {
                        m.engine.remove(id);
                    } catch (ZeroscaleException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    continue;
                }
                if (!started) {
                    // Gone since the read (404), or started by someone else (304): a new read says which
                    // (it is no longer kept, so this ends: each round drops one kept container).
                    log.info("{}: stopped container {} was gone or running already; reading the group again", target,
                            m.view.name());
                    changes.incrementAndGet();
                    reconcileLocked();
                    return;
                }
                log.info("{}: started stopped container {} on {} (stopped tier)", target, m.view.name(), m.engine.host());
                changes.incrementAndGet();
                knownIds.add(id);
                launched.add(id);
                perHost.merge(m.engine, 1, Integer::sum);
                announce(new WorkloadEvent.ReplicaStarted(m.view.name(), "stopped"));
                missing--;
            }
            if (spec.adopting()) {
                for (Member m : members) {
                    if (missing == 0) {
                        break;
                    }
                    if (!stopping.contains(m.view.id()) && !ours(m) && m.view.state() == State.EXITED) {
                        log.info("{}: starting adopted container {} on {}", target, m.view.name(), m.engine.host());
                        m.engine.start(m.view.id());
                        changes.incrementAndGet();
                        knownIds.add(m.view.id());
                        launched.add(m.view.id());
                        announce(new WorkloadEvent.ReplicaStarted(m.view.name(), "stopped"));
                        missing--;
                    }
                }
                if (missing > 0 && spec.image() == null) {
                    throw new ZeroscaleException(DockerErrorCode.NOT_ENOUGH_CONTAINERS, target + ": asked for "
                            + want + " containers but only " + (want - missing) + " carry the label '"
                            + spec.adoptLabel() + "'; add 'image:' to the workload so more can be created,"
                            + " or lower the replica maximum");
                }
            }
            createOnFewestFirst(perHost, missing);
        } else if (live.size() > want) {
            // Give up what serves least first: starting or unready, then frozen, then the newest ready.
            Map<Member, Integer> rank = new HashMap<>();
            for (Member m : live) {
                rank.put(m, m.view.state() == State.PAUSED ? 1 : ready(m) ? 2 : 0);
            }
            live.stream()
                    .sorted(Comparator.comparing((Member m) -> rank.get(m))
                            .thenComparing(Comparator.comparingLong((Member m) -> m.view.createdAt()).reversed()))
                    .limit(live.size() - want)
                    .forEach(this::stopAsync);
        }
    }

    /**
     * A scale-up from the last read, without reading the hosts again: a wake waits on this, and a
     * read (a list and an inspect per container) costs round trips before the start. The kept
     * stopped containers are started first, then the rest created, spread as the read path does.
     * Returns false when a start shows the last read was stale after all (the kept container is
     * gone, 404, or already running, 304): the caller then reads the hosts and reconciles from that
     * read, counting what this call started already.
     */
    private boolean scaleUpFromLastRead(List<Member> known, int want) {
        int missing = want - known.size();
        Map<DockerEngine, Integer> perHost = new LinkedHashMap<>();
        engines.forEach(e -> perHost.put(e, 0));
        known.forEach(m -> perHost.merge(m.engine, 1, Integer::sum));
        Instant now = scheduler.clock().instant();
        Duration keepFor = spec.stoppedTier().keepFor();
        // The most recently stopped first; one kept past keep-stopped-for is left to the next read to remove.
        List<Map.Entry<String, Kept>> candidates = kept.entrySet().stream()
                .filter(e -> !stopping.contains(e.getKey()) && e.getValue().since().plus(keepFor).isAfter(now))
                .sorted(Comparator.comparing((Map.Entry<String, Kept> e) -> e.getValue().since()).reversed())
                .toList();
        for (Map.Entry<String, Kept> entry : candidates) {
            if (missing == 0) {
                break;
            }
            String id = entry.getKey();
            Kept k = entry.getValue();
            if (kept.remove(id) == null) {
                continue;
            }
            boolean started;
            try {
                started = k.engine().start(id);
            } catch (ZeroscaleException e) {
                log.warn("{}: could not start stopped container {}; removing it and creating a new one", target, k.name(), e);
                try {
                    k.engine().remove(id);
                } catch (ZeroscaleException suppressed) {
                    e.addSuppressed(suppressed);
                }
                continue;
            }
            changes.incrementAndGet();
            if (!started) {
                log.debug("{}: kept container {} was gone or running already; reading the group", target, k.name());
                return false;
            }
            log.info("{}: started stopped container {} on {} (stopped tier)", target, k.name(), k.engine().host());
            knownIds.add(id);
            launched.add(id);
            perHost.merge(k.engine(), 1, Integer::sum);
            announce(new WorkloadEvent.ReplicaStarted(k.name(), "stopped"));
            missing--;
        }
        createOnFewestFirst(perHost, missing);
        return true;
    }

    /** Creates and starts {@code count} containers, each on the host with the fewest of the group ({@code perHost}). */
    private void createOnFewestFirst(Map<DockerEngine, Integer> perHost, int count) {
        for (int i = 0; i < count; i++) {
            DockerEngine host = perHost.entrySet().stream()
                    .min(Map.Entry.comparingByValue())
                    .orElseThrow()
                    .getKey();
            createAndStart(host);
            perHost.merge(host, 1, Integer::sum);
        }
    }

    /** A container of the group's current template named {@code name}, to create on {@code host}. */
    private ContainerSpec containerSpec(DockerEngine host, String name) {
        GroupSpec template = spec;
        String image = requireNonNull(template.image(), "image is null");
        Map<String, String> labels = new LinkedHashMap<>(template.labels());
        labels.put(GROUP_LABEL, groupValue);
        String adopt = template.adoptLabel();
        if (adopt != null) {
            int eq = adopt.indexOf('=');
            labels.put(eq < 0 ? adopt : adopt.substring(0, eq), eq < 0 ? "" : adopt.substring(eq + 1));
        }
        String publishIp = host.publishedAddress().equals("127.0.0.1") ? "127.0.0.1" : "0.0.0.0";
        return new ContainerSpec(name, image, template.command(), template.env(), labels,
                template.port(), publishIp, template.cpus(), template.memoryBytes(), template.gpus(),
                template.healthcheck(), template.stopGrace());
    }

    private void createAndStart(DockerEngine host) {
        String name = "zs-" + target.name().replaceAll("[^a-zA-Z0-9_.-]", "-") + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
        String id = host.create(containerSpec(host, name));
        changes.incrementAndGet();
        knownIds.add(id);
        launched.add(id);
        log.info("{}: created container {} on {}", target, name, host.host());
        try {
            host.start(id);
        } catch (ZeroscaleException e) {
            launched.remove(id);
            try {
                host.remove(id);
            } catch (ZeroscaleException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        announce(new WorkloadEvent.ReplicaStarted(name, "created"));
    }

    private void stopAsync(Member m) {
        stopAsync(m, true);
    }

    // stops holds each stop's own CompletableFuture and removes that same instance: identity
    // equality is what is wanted, so Future's lack of a value equals() does not matter here.
    @SuppressWarnings("CollectionUndefinedEquality")
    private void stopAsync(Member m, boolean mayKeep) {
        String id = m.view.id();
        if (!stopping.add(id)) {
            return;
        }
        launched.remove(id);
        boolean remove = ours(m);
        // The stopped tier: keep up to keep-stopped of our containers created but stopped (never
        // one that failed its start: the next wake would start it again).
        boolean keep = mayKeep && remove && spec.stoppedTier().keep() > kept.size() + toKeep.size();
        if (keep) {
            toKeep.add(id);
            remove = false;
        }
        boolean removeAfter = remove;
        Duration grace = spec.stopGrace();
        log.info("{}: stopping container {} on {} (grace {}{})", target, m.view.name(), m.engine.host(),
                io.zeroscale.spi.Durations.format(grace), keep ? "; keeping it stopped" : "");
        CompletableFuture<Void> done = new CompletableFuture<>();
        stops.add(done);
        changes.incrementAndGet();
        executor.execute(() -> {
            try {
                if (m.view.state() == State.PAUSED) {
                    // A frozen process cannot receive the stop signal; engines refuse to stop it.
                    m.engine.unpause(id);
                }
                m.engine.stop(id, grace);
                if (removeAfter) {
                    m.engine.remove(id);
                } else if (toKeep.remove(id)) {
                    kept.put(id, new Kept(m.engine, m.view.name(), scheduler.clock().instant()));
                }
            } catch (ZeroscaleException e) {
                log.warn("{}: could not stop container {}", target, m.view.name(), e);
            } finally {
                // A stop that failed keeps nothing.
                toKeep.remove(id);
                stopping.remove(id);
                changes.incrementAndGet();
                stops.remove(done);
                done.complete(null);
                requestRefresh();
            }
        });
    }

    /**
     * Waits up to {@code max} for stops already under way, so closing the orchestrator does not cut
     * a scale-down short. True if none is left.
     */
    boolean awaitStops(Duration max) {
        try {
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).get(max.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    Duration stopGrace() {
        return spec.stopGrace();
    }

    private void scheduleProbe() {
        if (closed || !probeScheduled.compareAndSet(false, true)) {
            return;
        }
        probeTimer = scheduler.schedule(spec.readiness().interval(), () -> {
            probeScheduled.set(false);
            requestRefresh();
        });
    }

    private boolean ready(Member m) {
        if (m.view.state() != State.RUNNING) {
            return false;
        }
        GroupSpec current = spec;
        Endpoint endpoint = endpoint(m);
        if (current.port() != null && endpoint == null) {
            if (warnedNoPort.add(m.view.id())) {
                log.warn("{}: container {} does not publish port {}; it cannot receive traffic", target,
                        m.view.name(), current.port());
            }
            return false;
        }
        switch (m.view.health()) {
            case HEALTHY:
                return true;
            case UNHEALTHY:
                return false;
            case STARTING:
                // Podman runs healthchecks from systemd timers, which do not exist without systemd.
                try {
                    m.engine.runHealthcheck(m.view.id());
                } catch (ZeroscaleException e) {
                    // One line without the stack trace on purpose: this runs on every probe interval
                    // and fails the same way each time on a host whose engine cannot run it.
                    log.debug("{}: could not run the healthcheck of {}: {}", target, m.view.name(), e.getMessage());
                }
                if (current.readiness().kind() == GroupSpec.ProbeKind.NONE) {
                    return false;
                }
                break;
            case NONE:
                break;
        }
        return endpoint == null || probe.ready(endpoint, current.readiness());
    }

    private @Nullable Endpoint endpoint(Member m) {
        Integer port = spec.port();
        if (port == null) {
            return null;
        }
        HostPort published = m.view.ports().get(port);
        if (published == null) {
            return null;
        }
        String ip = published.ip();
        // Podman reports no host IP at all; a wildcard binding is reached through the host's address.
        boolean wildcard = ip.isEmpty() || ip.equals("0.0.0.0") || ip.equals("::") || ip.equals("[::]");
        return new Endpoint(wildcard ? m.engine.publishedAddress() : ip, published.port());
    }

    private List<Member> read() {
        String label = spec.adopting() ? requireNonNull(spec.adoptLabel()) : GROUP_LABEL + "=" + groupValue;
        List<Member> members = new ArrayList<>();
        for (DockerEngine engine : engines) {
            for (ContainerView view : engine.containers(label)) {
                members.add(new Member(engine, view));
            }
        }
        return members;
    }

    private List<Member> live(List<Member> members) {
        return members.stream()
                .filter(m -> m.view.state().live() && !stopping.contains(m.view.id()))
                .toList();
    }

    private boolean ours(Member m) {
        return groupValue.equals(m.view.labels().get(GROUP_LABEL));
    }

    static boolean matches(String label, Map<String, String> labels) {
        int eq = label.indexOf('=');
        if (eq < 0) {
            return labels.containsKey(label);
        }
        return label.substring(eq + 1).equals(labels.get(label.substring(0, eq)));
    }

    private record Member(DockerEngine engine, ContainerView view) {}

    private record Kept(DockerEngine engine, String name, java.time.Instant since) {}
}
