package io.zeroscale.engine.process;

import static io.zeroscale.spi.StandardErrorCode.INTERNAL;
import static io.zeroscale.spi.StandardErrorCode.NOT_FOUND;
import static io.zeroscale.spi.StandardErrorCode.ORCHESTRATOR_UNAVAILABLE;
import static java.util.Objects.requireNonNull;

import io.zeroscale.engine.process.ProcessStateStore.SavedReplica;
import io.zeroscale.plugin.support.SerialExecutor;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each workload as N copies of a local command, one port per replica (in {@code PORT} and
 * {@code {port}}), ready once an HTTP or TCP probe passes, stopped with SIGTERM and, after {@code
 * stop-grace}, SIGKILL.
 *
 * <p>Processes outlive this object: {@link #close()} and a crash of the daemon leave them running.
 * A state file per workload in the plugin's data directory records pid, start instant, port and
 * command; {@link #attach} adopts the live processes whose pid and start instant both match, so a
 * reused pid is never adopted or signalled. Each replica runs in a process group of its own (via
 * {@code setsid}, see {@link ProcessGroups}), so a terminal's Ctrl-C to the daemon does not reach
 * it, and stopping a replica signals its whole group.
 *
 * <p>A replica that exits by itself is reported ({@link WorkloadEvent.ReplicaFailed}, then {@link
 * WorkloadEvent.Changed}) and not restarted: the engine decides what to do.
 */
public final class ProcessOrchestrator implements Orchestrator, Endpoints, Drainable, ConditionalWake {
    private static final Logger log = LoggerFactory.getLogger(ProcessOrchestrator.class);

    /** Consecutive failed probes after which a ready replica counts as not ready again. */
    static final int FAILED_PROBES_BEFORE_UNREADY = 3;

    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** Lines of a failed replica's log sent with its failure. */
    static final int OUTPUT_LINES = 10;

    private final String name;
    private final String host;
    private final Scheduler scheduler;
    private final Executor blocking;
    private final ProcessStateStore store;
    private final ReadinessProbe probe;
    private final ProcessGroups groups;
    private final ConcurrentMap<TargetRef, ManagedWorkload> workloads = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ProcessOrchestrator(String name, String host, PluginContext context) {
        this(name, host, context, ProcessGroups.fromEnvironment());
    }

    ProcessOrchestrator(String name, String host, PluginContext context, ProcessGroups groups) {
        this.name = requireNonNull(name, "name is null");
        this.host = requireNonNull(host, "host is null");
        this.scheduler = context.scheduler();
        this.blocking = context.blockingExecutor();
        this.store = new ProcessStateStore(context.dataDirectory());
        this.probe = new ReadinessProbe(host, blocking);
        this.groups = requireNonNull(groups, "groups is null");
        if (!groups.isolates()) {
            log.warn("orchestrator '{}': setsid is not on PATH, so replicas run in the daemon's process group and a"
                    + " terminal's Ctrl-C stops them along with the daemon; install util-linux (apt-get install"
                    + " util-linux) or run the daemon under a service manager", name);
        }
    }

    /**
     * Validates the workload's settings and adopts the processes a previous run left for it:
     * those whose pid and start instant match the state file are probed once and kept; those that
     * match but were being stopped, or run another command than configured now, are stopped;
     * anything else recorded (dead, or a pid now used by another process) is forgotten untouched.
     */
    @Override
    public void attach(Workload workload) {
        ensureOpen();
        TargetRef target = workload.target();
        ProcessWorkloadSpec spec = ProcessWorkloadSpec.parse(workload.settings());
        ManagedWorkload existing = workloads.get(target);
        if (existing != null) {
            if (existing.spec.equals(spec)) {
                return;
            }
            throw new ZeroscaleException(
                    INTERNAL, "orchestrator '" + name + "': " + target + " is already attached with other settings");
        }
        ManagedWorkload managed = new ManagedWorkload(target, spec, new SerialExecutor(blocking));
        adopt(managed);
        workloads.put(target, managed);
    }

    /**
     * Forgets {@code workload} and leaves its processes running: probes, timers and watches are
     * cancelled, and the state file stays, so attaching it again (or the next run) adopts them. A
     * replica in its stop grace period is left to exit on its own (the state file marks it as
     * stopping, and the next attach finishes the stop).
     */
    @Override
    public void detach(Workload workload) {
        ManagedWorkload managed = workloads.remove(workload.target());
        if (managed == null) {
            return;
        }
        synchronized (managed) {
            managed.detached = true;
            for (Replica replica : managed.replicas) {
                replica.probe.close();
                replica.forceKill.close();
                replica.startDeadline.close();
            }
            managed.watches.forEach(watch -> watch.cancelled = true);
            managed.watches.clear();
        }
        log.info("{}: detached; its {} process(es) keep running", workload.target(), managed.replicas.size());
    }

    @Override
    public ObservedState observe(TargetRef target) {
        ensureOpen();
        ManagedWorkload workload = require(target);
        List<Replica> dead = new ArrayList<>();
        synchronized (workload) {
            for (Replica replica : workload.replicas) {
                if (!replica.handle.isAlive()) {
                    dead.add(replica);
                }
            }
        }
        // The exit callback may lag (it polls for processes that are not our children).
        dead.forEach(replica -> exited(workload, replica));
        synchronized (workload) {
            return workload.stateLocked(now());
        }
    }

    /**
     * Starts or stops replicas until {@code replicas} are running or starting. Returns once the
     * processes are started or signalled, not when they are ready or gone.
     *
     * @throws ZeroscaleException {@code ORCHESTRATOR_UNAVAILABLE} when the command cannot be
     *     started or no port is free
     */
    @Override
    public void scale(TargetRef target, int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
        }
        ensureOpen();
        ManagedWorkload workload = require(target);
        synchronized (workload) {
            try {
                List<Replica> live = workload.liveLocked();
                for (int i = live.size(); i < replicas; i++) {
                    Replica started = startLocked(workload);
                    watchExit(workload, started);
                    scheduleProbeLocked(workload, started);
                    scheduleStartDeadlineLocked(workload, started);
                }
                if (replicas < live.size()) {
                    // Keep the ready replicas and the oldest: stop the starting ones, then the newest.
                    List<Replica> victims = new ArrayList<>(live.reversed());
                    victims.sort(Comparator.comparing(replica -> replica.ready));
                    victims.subList(0, live.size() - replicas).forEach(victim -> stopLocked(workload, victim));
                }
            } finally {
                persistLocked(workload);
                publishLocked(workload);
            }
        }
    }

    /**
     * Starts one replica if none is running or starting; the workload's lock makes the check and
     * the start one step, so concurrent calls start at most one.
     *
     * @throws ZeroscaleException {@code ORCHESTRATOR_UNAVAILABLE} when the command cannot be
     *     started or no port is free
     */
    @Override
    public boolean wakeIfZero(TargetRef target) {
        ensureOpen();
        ManagedWorkload workload = require(target);
        synchronized (workload) {
            if (!workload.liveLocked().isEmpty()) {
                return false;
            }
            try {
                Replica started = startLocked(workload);
                watchExit(workload, started);
                scheduleProbeLocked(workload, started);
                return true;
            } finally {
                persistLocked(workload);
                publishLocked(workload);
            }
        }
    }

    /** Stops the replicas serving at {@code drained}; endpoints that are not ours are ignored. */
    @Override
    public void remove(TargetRef target, List<Endpoint> drained) {
        ensureOpen();
        ManagedWorkload workload = require(target);
        synchronized (workload) {
            for (Replica replica : workload.liveLocked()) {
                if (drained.contains(new Endpoint(host, replica.port))) {
                    stopLocked(workload, replica);
                }
            }
            persistLocked(workload);
            publishLocked(workload);
        }
    }

    @Override
    public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
        requireNonNull(listener, "listener is null");
        ensureOpen();
        ManagedWorkload workload = require(target);
        Watch watch = new Watch(listener);
        synchronized (workload) {
            workload.watches.add(watch);
            // Queued under the lock, so every later event of this workload follows it.
            WorkloadEvent.Changed current = new WorkloadEvent.Changed(workload.stateLocked(now()));
            workload.events.execute(() -> watch.deliver(current));
        }
        return () -> {
            watch.cancelled = true;
            workload.watches.remove(watch);
        };
    }

    /**
     * Stops every replica of every attached workload and waits until they exited: SIGTERM, then
     * SIGKILL once {@code stop-grace} has passed. For tests and tools that must leave no process
     * behind; the engine scales through {@link #scale}. Works after {@link #close()} too.
     */
    public void stopAll() {
        List<Map.Entry<ManagedWorkload, Replica>> stopping = new ArrayList<>();
        for (ManagedWorkload workload : workloads.values()) {
            synchronized (workload) {
                for (Replica replica : workload.replicas) {
                    stopLocked(workload, replica);
                    stopping.add(Map.entry(workload, replica));
                }
                if (!closed) {
                    persistLocked(workload);
                    publishLocked(workload);
                }
            }
        }
        for (Map.Entry<ManagedWorkload, Replica> entry : stopping) {
            ManagedWorkload workload = entry.getKey();
            Replica replica = entry.getValue();
            if (!awaitExit(replica, workload.spec.stopGrace())) {
                log.warn("{}: {} did not exit within stop-grace {}; killing it", workload.target, replica,
                        Durations.format(workload.spec.stopGrace()));
                groups.signal(replica.handle, replica.process, true);
                if (!awaitExit(replica, KILL_WAIT)) {
                    throw new ZeroscaleException(
                            INTERNAL, workload.target + ": " + replica + " survived SIGKILL for " + KILL_WAIT);
                }
            }
            exited(workload, replica);
        }
    }

    /**
     * Cancels probes, timers and watches. Leaves every process running, including one in its
     * stop grace period: the state file marks it as stopping and the next run finishes the stop.
     */
    @Override
    public void close() {
        closed = true;
        for (ManagedWorkload workload : workloads.values()) {
            synchronized (workload) {
                for (Replica replica : workload.replicas) {
                    replica.probe.close();
                    replica.forceKill.close();
                }
                workload.watches.forEach(watch -> watch.cancelled = true);
                workload.watches.clear();
            }
        }
        probe.close();
    }

    private void adopt(ManagedWorkload workload) {
        TargetRef target = workload.target;
        ProcessWorkloadSpec spec = workload.spec;
        List<SavedReplica> saved;
        try {
            saved = store.read(target);
        } catch (IOException e) {
            log.warn("{}: cannot read state file {}; processes a previous run left are not adopted",
                    target, store.stateFile(target), e);
            saved = List.of();
        }
        List<Replica> adopted = new ArrayList<>();
        List<Replica> toStop = new ArrayList<>();
        for (SavedReplica record : saved) {
            Optional<ProcessHandle> handle = ProcessHandle.of(record.pid()).filter(ProcessHandle::isAlive);
            if (handle.isEmpty()) {
                log.info("{}: pid {} (port {}) from a previous run has exited; forgetting it",
                        target, record.pid(), record.port());
                continue;
            }
            Optional<Instant> startedAt = handle.get().info().startInstant();
            if (record.startedAt() == null || startedAt.isEmpty() || !startedAt.get().toString().equals(record.startedAt())) {
                log.warn("{}: pid {} is not the process a previous run started (it started at {}, ours at {});"
                                + " leaving it alone and forgetting it",
                        target, record.pid(), startedAt.map(Instant::toString).orElse("an unknown time"),
                        record.startedAt());
                continue;
            }
            Replica replica = new Replica(handle.get(), null, record.port(), startedAt.get(), record.command());
            if (record.stopping()) {
                log.info("{}: {} was being stopped when the previous run ended; stopping it", target, replica);
                toStop.add(replica);
            } else if (!record.command().equals(spec.commandFor(record.port()))) {
                log.info("{}: {} runs {}, not the configured command; stopping it", target, replica, record.command());
                toStop.add(replica);
            } else if (spec.ports() != null
                    && (record.port() < spec.ports().from() || record.port() > spec.ports().to())) {
                log.info("{}: {} is outside ports {}; stopping it", target, replica, spec.ports());
                toStop.add(replica);
            } else {
                adopted.add(replica);
            }
        }
        // Probe before the first observe so a restarted daemon sees ready replicas as ready.
        List<CompletableFuture<ReadinessProbe.Result>> checks = adopted.stream()
                .map(replica -> CompletableFuture.supplyAsync(
                        () -> probe.check(spec.readiness(), replica.port), blocking))
                .toList();
        synchronized (workload) {
            for (int i = 0; i < adopted.size(); i++) {
                Replica replica = adopted.get(i);
                replica.ready = checks.get(i).join().ready();
                log.info("{}: adopted {} ({})", target, replica, replica.ready ? "ready" : "not ready yet");
                workload.replicas.add(replica);
                watchExit(workload, replica);
                scheduleProbeLocked(workload, replica);
            }
            for (Replica replica : toStop) {
                workload.replicas.add(replica);
                watchExit(workload, replica);
                stopLocked(workload, replica);
            }
            if (!saved.isEmpty()) {
                // The file changes only when it recorded replicas; with none there is nothing to
                // rewrite (a start with 1,000 targets at zero wrote 1,000 files for nothing).
                persistLocked(workload);
            }
            workload.published = workload.stateLocked(now());
        }
    }

    /** Keeps the logs under the data directory bounded; see {@link ProcessStateStore#KEPT_STOPPED_LOGS}. */
    private void pruneLogsLocked(ManagedWorkload workload, int newPort) {
        Set<Integer> live = new HashSet<>();
        workload.replicas.forEach(replica -> live.add(replica.port));
        live.add(newPort);
        try {
            List<Path> deleted = store.pruneLogs(workload.target, live);
            if (!deleted.isEmpty()) {
                log.debug("{}: removed {} old replica logs", workload.target, deleted.size());
            }
        } catch (IOException | RuntimeException e) {
            // Old logs are housekeeping: failing to remove them must not fail a wake.
            log.warn("{}: could not remove old replica logs in {}", workload.target, store.directory(), e);
        }
    }

    private Replica startLocked(ManagedWorkload workload) {
        ProcessWorkloadSpec spec = workload.spec;
        int port = choosePortLocked(workload);
        List<String> command = spec.commandFor(port);
        ProcessBuilder builder = new ProcessBuilder(groups.launchCommand(command));
        builder.environment().putAll(spec.envFor(port));
        if (spec.workdir() != null) {
            builder.directory(spec.workdir().toFile());
        }
        if (groups.isolates()) {
            // setsid starts whatever it is given and only then finds out the program is missing; look
            // first, so a wrong command fails the scale-up with the key to fix, as without setsid.
            Path configured = spec.workdir();
            Path workdir = configured != null ? configured : Path.of("").toAbsolutePath();
            if (ProcessGroups.findExecutable(command.get(0), builder.environment().get("PATH"), workdir).isEmpty()) {
                throw new ZeroscaleException(
                        ORCHESTRATOR_UNAVAILABLE,
                        workload.target + ": cannot start " + command.get(0) + " ("
                                + (command.get(0).contains("/")
                                        ? "no executable file at " + workdir.resolve(command.get(0))
                                        : "no executable file of that name on PATH")
                                + "); check "
                                + spec.pathOf("command") + " and " + spec.pathOf("workdir"));
            }
        }
        // Output goes to a file, never a pipe: a pipe would break when the daemon goes away.
        builder.redirectErrorStream(true);
        Process process;
        Path logFile = store.logFile(workload.target, port);
        long logStart;
        try {
            Files.createDirectories(store.directory());
            // The file is appended to across runs: remember where this run's output begins.
            logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
            builder.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            process = builder.start();
        } catch (IOException e) {
            throw new ZeroscaleException(
                    ORCHESTRATOR_UNAVAILABLE,
                    workload.target + ": cannot start " + command.get(0) + " (" + e.getMessage() + "); check "
                            + spec.pathOf("command") + " and " + spec.pathOf("workdir"),
                    e);
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            log.debug("closing stdin of pid {} failed", process.pid(), e);
        }
        // Housekeeping after the spawn, not before: a wake waits for the exec, not for a directory scan.
        pruneLogsLocked(workload, port);
        Replica replica = new Replica(
                process.toHandle(), process, port, process.info().startInstant().orElse(null), command);
        replica.logStart = logStart;
        if (replica.startedAt == null) {
            log.warn("{}: the OS did not report when {} started; a later run will not adopt it", workload.target,
                    replica);
        }
        workload.replicas.add(replica);
        log.info("{}: started {}", workload.target, replica);
        return replica;
    }

    private int choosePortLocked(ManagedWorkload workload) {
        Set<Integer> taken = new HashSet<>();
        workload.replicas.forEach(replica -> taken.add(replica.port));
        ProcessWorkloadSpec.PortRange range = workload.spec.ports();
        if (range == null) {
            for (int attempt = 0; attempt < 20; attempt++) {
                int port = bind(0);
                if (port > 0 && !taken.contains(port)) {
                    return port;
                }
            }
            throw new ZeroscaleException(
                    ORCHESTRATOR_UNAVAILABLE, workload.target + ": found no free port on " + host
                            + "; set " + workload.spec.pathOf("ports") + " to a range that is free");
        }
        for (int port = range.from(); port <= range.to(); port++) {
            if (!taken.contains(port) && bind(port) == port) {
                return port;
            }
        }
        throw new ZeroscaleException(
                ORCHESTRATOR_UNAVAILABLE, workload.target + ": no free port in " + workload.spec.pathOf("ports")
                        + " (" + range + ") for another replica; widen the range or lower the replica maximum");
    }

    /** Binds {@code port} (0: any) on the host and releases it; returns the port, or -1 if taken. */
    private int bind(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return socket.getLocalPort();
        } catch (IOException e) {
            return -1;
        }
    }

    private void stopLocked(ManagedWorkload workload, Replica replica) {
        if (replica.stopping) {
            return;
        }
        replica.stopping = true;
        replica.ready = false;
        replica.probe.close();
        replica.startDeadline.close();
        log.info("{}: stopping {}", workload.target, replica);
        groups.signal(replica.handle, replica.process, false);
        if (!closed) {
            replica.forceKill = schedule(workload.spec.stopGrace(), () -> {
                if (replica.handle.isAlive()) {
                    log.warn("{}: {} did not exit within stop-grace {}; killing it",
                            workload.target, replica, Durations.format(workload.spec.stopGrace()));
                    groups.signal(replica.handle, replica.process, true);
                }
            });
        }
    }

    private void watchExit(ManagedWorkload workload, Replica replica) {
        replica.handle.onExit().whenComplete((handle, error) -> runBlocking(() -> exited(workload, replica)));
    }

    private void exited(ManagedWorkload workload, Replica replica) {
        synchronized (workload) {
            if (replica.gone) {
                return;
            }
            replica.gone = true;
            replica.probe.close();
            replica.forceKill.close();
            replica.startDeadline.close();
            workload.replicas.remove(replica);
            if (closed || workload.detached) {
                return;
            }
            if (replica.stopping) {
                log.info("{}: {} stopped", workload.target, replica);
            } else {
                String reason = exitReason(replica);
                List<String> output = ProcessLogTail.lastLines(store.logFile(workload.target, replica.port),
                        replica.logStart, OUTPUT_LINES);
                log.warn("{}: {} {}; last output: {}", workload.target, replica, reason, output);
                workload.deliver(new WorkloadEvent.ReplicaFailed(replicaName(replica), reason, output));
            }
            persistLocked(workload);
            publishLocked(workload);
        }
    }

    private void scheduleProbeLocked(ManagedWorkload workload, Replica replica) {
        if (closed || workload.detached || replica.gone || replica.stopping) {
            return;
        }
        // A starting replica is probed often (a wake from zero waits on it); a ready one less so.
        Duration every = replica.ready ? workload.spec.readiness().interval() : workload.spec.readiness().startupInterval();
        replica.probe = schedule(every, () -> runBlocking(() -> probeOnce(workload, replica)));
    }

    private void probeOnce(ManagedWorkload workload, Replica replica) {
        synchronized (workload) {
            if (closed || workload.detached || replica.gone || replica.stopping) {
                return;
            }
        }
        ReadinessProbe.Result result = probe.check(workload.spec.readiness(), replica.port);
        synchronized (workload) {
            if (closed || workload.detached || replica.gone || replica.stopping) {
                return;
            }
            if (!result.ready() && !replica.handle.isAlive()) {
                // An adopted replica is not our child: the JDK notices its exit only by slow polling.
                exited(workload, replica);
                return;
            }
            replica.lastProbe = result.detail();
            if (result.ready()) {
                replica.failedProbes = 0;
                if (!replica.ready) {
                    replica.ready = true;
                    replica.startDeadline.close();
                    log.info("{}: {} is ready", workload.target, replica);
                }
            } else if (replica.ready && ++replica.failedProbes >= FAILED_PROBES_BEFORE_UNREADY) {
                replica.ready = false;
                replica.failedProbes = 0;
                String reason = "readiness probe failed " + FAILED_PROBES_BEFORE_UNREADY + " times in a row: "
                        + result.detail();
                log.warn("{}: {} {}", workload.target, replica, reason);
                workload.deliver(new WorkloadEvent.ReplicaFailed(replicaName(replica), reason));
            }
            publishLocked(workload);
            scheduleProbeLocked(workload, replica);
        }
    }

    /**
     * With {@code readiness.start-timeout}, a replica not ready in time is a failed start: reported
     * with its last probe and output, then stopped, so the engine's crash-loop backoff applies.
     */
    private void scheduleStartDeadlineLocked(ManagedWorkload workload, Replica replica) {
        Duration timeout = workload.spec.readiness().startTimeout();
        if (timeout == null || closed) {
            return;
        }
        replica.startDeadline = schedule(timeout, () -> runBlocking(() -> {
            synchronized (workload) {
                if (closed || workload.detached || replica.gone || replica.stopping || replica.ready) {
                    return;
                }
                String reason = "was not ready within " + workload.spec.pathOf("readiness") + ".start-timeout "
                        + Durations.format(timeout) + " (last probe: " + replica.lastProbe + "); stopping it";
                List<String> output = ProcessLogTail.lastLines(store.logFile(workload.target, replica.port),
                        replica.logStart, OUTPUT_LINES);
                log.warn("{}: {} {}", workload.target, replica, reason);
                workload.deliver(new WorkloadEvent.ReplicaFailed(replicaName(replica), reason, output));
                stopLocked(workload, replica);
                persistLocked(workload);
                publishLocked(workload);
            }
        }));
    }

    private void persistLocked(ManagedWorkload workload) {
        try {
            store.write(workload.target, workload.replicas.stream().map(Replica::saved).toList());
        } catch (IOException e) {
            // The processes run regardless; only adoption after a restart is at risk.
            log.error("{}: cannot write state file {}; a restarted daemon will not adopt these processes",
                    workload.target, store.stateFile(workload.target), e);
        }
    }

    private void publishLocked(ManagedWorkload workload) {
        ObservedState state = workload.stateLocked(now());
        if (workload.published == null || state.differsFrom(workload.published)) {
            workload.published = state;
            workload.deliver(new WorkloadEvent.Changed(state));
        }
    }

    private String exitReason(Replica replica) {
        // "before it was ready" is what tells a crash loop at start from a crash of a serving replica.
        String when = replica.ready ? "" : " before it was ready";
        Process process = replica.process;
        if (process != null && reaped(process)) {
            int status = process.exitValue();
            return status > 128
                    ? "exited with status " + status + " (killed by signal " + (status - 128) + ")" + when
                    : "exited with status " + status + when;
        }
        return "exited" + when + (process != null ? " (status not known yet)"
                : " (status unknown: the process was adopted from a previous run)");
    }

    /**
     * The handle may report the process gone a moment before the JDK's reaper recorded its exit
     * status (exitValue() would throw): wait for it briefly.
     */
    private static boolean reaped(Process process) {
        try {
            return process.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String replicaName(Replica replica) {
        return host + ":" + replica.port + " (pid " + replica.pid() + ")";
    }

    private boolean awaitExit(Replica replica, Duration timeout) {
        try {
            replica.handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new ZeroscaleException(INTERNAL, "waiting for " + replica + " to exit failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ZeroscaleException(INTERNAL, "interrupted while waiting for " + replica + " to exit", e);
        }
    }

    private Subscription schedule(Duration delay, Runnable task) {
        try {
            return scheduler.schedule(delay, task);
        } catch (RejectedExecutionException e) {
            log.debug("scheduler is shut down; not scheduling {}", task, e);
            return Subscription.NONE;
        }
    }

    private void runBlocking(Runnable task) {
        try {
            blocking.execute(task);
        } catch (RejectedExecutionException e) {
            if (!closed) {
                log.warn("blocking executor rejected a task of orchestrator '{}'", name, e);
            }
        }
    }

    private Instant now() {
        return scheduler.clock().instant();
    }

    private ManagedWorkload require(TargetRef target) {
        ManagedWorkload workload = workloads.get(requireNonNull(target, "target is null"));
        if (workload == null) {
            throw new ZeroscaleException(
                    NOT_FOUND, "orchestrator '" + name + "' has no workload " + target + "; attach it first");
        }
        return workload;
    }

    private void ensureOpen() {
        if (closed) {
            throw new ZeroscaleException(INTERNAL, "orchestrator '" + name + "' is closed");
        }
    }

    /** One attached workload. Its fields are guarded by its own monitor. */
    private final class ManagedWorkload {
        final TargetRef target;
        final ProcessWorkloadSpec spec;
        final SerialExecutor events;
        final List<Replica> replicas = new ArrayList<>();
        final List<Watch> watches = new CopyOnWriteArrayList<>();
        @Nullable ObservedState published;
        /** {@link #detach} forgot it: its processes run on untouched, and nothing here acts on them. */
        boolean detached;

        ManagedWorkload(TargetRef target, ProcessWorkloadSpec spec, SerialExecutor events) {
            this.target = target;
            this.spec = spec;
            this.events = events;
        }

        List<Replica> liveLocked() {
            return replicas.stream().filter(replica -> !replica.stopping).toList();
        }

        /** Replicas being stopped no longer count: they are on their way out and get no traffic. */
        ObservedState stateLocked(Instant at) {
            List<Replica> live = liveLocked();
            List<Endpoint> ready = live.stream()
                    .filter(replica -> replica.ready)
                    .map(replica -> new Endpoint(host, replica.port))
                    .toList();
            return new ObservedState(live.size(), live.size(), ready.size(), 0, ready, at);
        }

        void deliver(WorkloadEvent event) {
            List<Watch> targets = List.copyOf(watches);
            if (!targets.isEmpty()) {
                events.execute(() -> targets.forEach(watch -> watch.deliver(event)));
            }
        }
    }

    private static final class Watch {
        final Consumer<WorkloadEvent> listener;
        volatile boolean cancelled;

        Watch(Consumer<WorkloadEvent> listener) {
            this.listener = listener;
        }

        void deliver(WorkloadEvent event) {
            if (cancelled) {
                return;
            }
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                log.warn("a watch listener failed on {}", event, e);
            }
        }
    }
}
