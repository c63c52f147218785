package io.zeroscale.testkit;

import static io.zeroscale.spi.StandardErrorCode.ORCHESTRATOR_UNAVAILABLE;

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
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;

/**
 * An in-memory orchestrator for engine and gateway tests: replicas become ready {@code startup}
 * after a scale-up, on the given scheduler's time (virtual in tests), and every change is pushed
 * to watchers. Records every call, can be told to fail, and can have replicas "stopped behind our
 * back". Each replica has its own fake address ({@code 10.0.0.<n>:8080}, n counting up from 1 and
 * never reused while the fake lives), listed oldest first, so a test can tell exactly which replica
 * {@link #remove} took away.
 *
 * <p>By default replicas exist as soon as they are desired (a backend that is its own controller).
 * {@link #setControllerLag} makes it behave like a backend whose controller catches up later (a
 * Deployment): a scale sets only the desired count, and the test moves the existing and ready
 * counts with {@link #reportStatus}.
 */
public final class FakeOrchestrator implements Orchestrator, Endpoints, Pausable, ConditionalWake, Drainable {
    private final Scheduler scheduler;
    private volatile Duration startup;
    private final Map<TargetRef, Workload> workloads = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> attaches = new CopyOnWriteArrayList<>();
    private volatile boolean failing;
    private volatile boolean closed;
    private volatile boolean controllerLag;

    public FakeOrchestrator(Scheduler scheduler, Duration startup) {
        this.scheduler = scheduler;
        this.startup = startup;
    }

    /** How long replicas started from now on take to become ready. */
    public void setStartup(Duration startup) {
        this.startup = startup;
    }

    /** Every call made, e.g. {@code scale app 1}, {@code observe app}, in order. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** Only the scale calls, as replica counts. */
    public List<Integer> scaleCalls() {
        List<Integer> out = new ArrayList<>();
        for (String call : calls) {
            if (call.startsWith("scale ")) {
                out.add(Integer.parseInt(call.substring(call.lastIndexOf(' ') + 1)));
            }
        }
        return out;
    }

    /** From now on every call throws ORCHESTRATOR_UNAVAILABLE (true) or works again (false). */
    public void setFailing(boolean failing) {
        this.failing = failing;
    }

    public boolean closed() {
        return closed;
    }

    /**
     * A change one client made to the backend, as a backend's audit log would show it.
     *
     * @param client the name of the {@link #client} that made it
     * @param leader whether that client's daemon held leadership when the write reached the backend
     * @param call the call, e.g. {@code scale app 0}, {@code wakeIfZero app}, {@code pause app}
     * @param desiredBefore the desired replica count right before the call
     * @param desiredAfter the desired replica count right after it
     * @param pausedBefore whether the replicas were paused right before
     * @param pausedAfter whether they were paused right after
     */
    public record Write(String client, boolean leader, String call, TargetRef target, int desiredBefore, int desiredAfter,
            boolean pausedBefore, boolean pausedAfter, java.time.Instant at) {
        /** True when the call changed the replica count or the pause. */
        public boolean changed() {
            return desiredBefore != desiredAfter || pausedBefore != pausedAfter;
        }
    }

    private final List<Write> writes = new CopyOnWriteArrayList<>();
    private final List<Consumer<Write>> writeListeners = new CopyOnWriteArrayList<>();

    /**
     * A view of this backend for one of several daemons (engines) sharing it: every write made
     * through it is logged in {@link #writes()} with {@code name} and whether {@code leader} said
     * the daemon was the leader at that moment. Reads and watches go to this fake unchanged.
     */
    public Client client(String name, java.util.function.BooleanSupplier leader) {
        return new Client(name, leader);
    }

    /** Every write made through a {@link #client}, in order. */
    public List<Write> writes() {
        return List.copyOf(writes);
    }

    /** Calls {@code listener} right after each write through a {@link #client}, on the writing thread. */
    public void onWrite(Consumer<Write> listener) {
        writeListeners.add(listener);
    }

    /** One daemon's connection to the shared fake backend; see {@link #client}. */
    public final class Client implements Orchestrator, Endpoints, Pausable, ConditionalWake, Drainable {
        private final String name;
        private final java.util.function.BooleanSupplier leader;

        private Client(String name, java.util.function.BooleanSupplier leader) {
            this.name = name;
            this.leader = leader;
        }

        @Override
        public ObservedState observe(TargetRef target) {
            return FakeOrchestrator.this.observe(target);
        }

        @Override
        public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
            return FakeOrchestrator.this.watch(target, listener);
        }

        @Override
        public void scale(TargetRef target, int replicas) {
            logged("scale " + target.name() + " " + replicas, target, () -> FakeOrchestrator.this.scale(target, replicas));
        }

        @Override
        public boolean wakeIfZero(TargetRef target) {
            boolean[] woke = new boolean[1];
            logged("wakeIfZero " + target.name(), target, () -> woke[0] = FakeOrchestrator.this.wakeIfZero(target));
            return woke[0];
        }

        @Override
        public void remove(TargetRef target, List<Endpoint> drained) {
            logged("remove " + target.name() + " " + drained, target, () -> FakeOrchestrator.this.remove(target, drained));
        }

        @Override
        public void pause(TargetRef target) {
            logged("pause " + target.name(), target, () -> FakeOrchestrator.this.pause(target));
        }

        @Override
        public void resume(TargetRef target) {
            logged("resume " + target.name(), target, () -> FakeOrchestrator.this.resume(target));
        }

        @Override
        public void close() {}

        private void logged(String call, TargetRef target, Runnable body) {
            boolean isLeader = leader.getAsBoolean();
            ObservedState before = state(target);
            body.run();
            ObservedState after = state(target);
            Write write = new Write(name, isLeader, call, target, before.desiredReplicas(), after.desiredReplicas(),
                    before.pausedReplicas() > 0, after.pausedReplicas() > 0, scheduler.clock().instant());
            writes.add(write);
            writeListeners.forEach(listener -> listener.accept(write));
        }
    }

    /** Only the remove calls, as the endpoints each one named. */
    public List<List<Endpoint>> removeCalls() {
        List<List<Endpoint>> out = new ArrayList<>();
        for (String call : calls) {
            if (call.startsWith("remove ")) {
                String list = call.substring(call.indexOf('[') + 1, call.lastIndexOf(']'));
                out.add(list.isEmpty() ? List.of() : java.util.Arrays.stream(list.split(", ")).map(Endpoint::parse).toList());
            }
        }
        return out;
    }

    /**
     * True: from now on a scale sets only the desired count, and replicas appear and become ready
     * only when the test says so with {@link #reportStatus}, as a Deployment's pods do.
     */
    public void setControllerLag(boolean lag) {
        this.controllerLag = lag;
    }

    /**
     * Sets how many replicas exist and how many of them are ready, without touching the desired
     * count: a status-only change, pushed to watchers like a backend's status update.
     */
    public void reportStatus(TargetRef target, int existing, int ready) {
        if (ready > existing) {
            throw new IllegalArgumentException("ready " + ready + " > existing " + existing);
        }
        Workload workload = workload(target);
        synchronized (workload) {
            workload.starts += Math.max(0, existing - workload.ids.size());
            workload.resize(existing);
            workload.ready = ready;
            workload.generation++;
        }
        publish(target);
    }

    /** Starts a target with {@code replicas} ready replicas, as if a previous run had scaled it. */
    public void preset(TargetRef target, int replicas) {
        Workload workload = workload(target);
        synchronized (workload) {
            workload.desired = replicas;
            workload.resize(replicas);
            workload.ready = replicas;
        }
    }

    /**
     * From now on every replica started for {@code target} fails {@code startup} after its start
     * instead of becoming ready: it is reported ({@link WorkloadEvent.ReplicaFailed} with {@code
     * reason} and {@code output}) and gone, as a process that exits during start. Null heals it:
     * replicas started afterwards become ready again.
     */
    public void failStarts(TargetRef target, @org.jspecify.annotations.Nullable String reason, List<String> output) {
        Workload workload = workload(target);
        synchronized (workload) {
            workload.failReason = reason;
            workload.failOutput = List.copyOf(output);
        }
    }

    /** How many replicas were started for {@code target} so far. */
    public int starts(TargetRef target) {
        Workload workload = workload(target);
        synchronized (workload) {
            return workload.starts;
        }
    }

    /** Stops every replica without being asked, like a user running {@code docker stop}. */
    public void stopBehindOurBack(TargetRef target) {
        Workload workload = workload(target);
        synchronized (workload) {
            workload.desired = 0;
            workload.resize(0);
            workload.ready = 0;
            workload.generation++;
        }
        publish(target);
    }

    /**
     * Tells watchers that the backend is about to remove the replicas at {@code endpoints} (an
     * eviction, a scale-in the backend chose), as a {@link WorkloadEvent.Removing}.
     */
    public void announceRemoval(TargetRef target, List<Endpoint> endpoints, String reason) {
        Workload workload = workload(target);
        for (Consumer<WorkloadEvent> listener : workload.listeners) {
            listener.accept(new WorkloadEvent.Removing(endpoints, reason));
        }
    }

    /**
     * Tells watchers that a replica started and from which tier (e.g. {@code stopped}), as a
     * {@link WorkloadEvent.ReplicaStarted}, the way an orchestrator with a stopped tier does.
     */
    public void announceStart(TargetRef target, String replica, String tier) {
        Workload workload = workload(target);
        for (Consumer<WorkloadEvent> listener : workload.listeners) {
            listener.accept(new WorkloadEvent.ReplicaStarted(replica, tier));
        }
    }

    public ObservedState state(TargetRef target) {
        Workload workload = workload(target);
        synchronized (workload) {
            return workload.state(scheduler);
        }
    }

    @Override
    public ObservedState observe(TargetRef target) {
        calls.add("observe " + target.name());
        check();
        return state(target);
    }

    @Override
    public void scale(TargetRef target, int replicas) {
        calls.add("scale " + target.name() + " " + replicas);
        check();
        change(target, current -> replicas);
    }

    /** Records {@code wakeIfZero app}; sets max(current, 1) in one step, as a real backend's compare-and-set would. */
    @Override
    public boolean wakeIfZero(TargetRef target) {
        calls.add("wakeIfZero " + target.name());
        check();
        return change(target, current -> Math.max(current, 1));
    }

    /**
     * Records {@code remove app [10.0.0.3:8080]}; removes exactly the replicas at {@code drained}
     * and lowers the desired count by as many. Endpoints that are gone are ignored (idempotent).
     */
    @Override
    public void remove(TargetRef target, List<Endpoint> drained) {
        calls.add("remove " + target.name() + " " + drained);
        check();
        Workload workload = workload(target);
        synchronized (workload) {
            int removed = 0;
            for (int i = workload.ids.size() - 1; i >= 0; i--) {
                if (drained.contains(Workload.endpoint(workload.ids.get(i)))) {
                    workload.ids.remove(i);
                    if (i < workload.ready) {
                        workload.ready--;
                    }
                    removed++;
                }
            }
            if (removed == 0) {
                return;
            }
            workload.desired = Math.max(0, workload.desired - removed);
            workload.generation++;
        }
        publish(target);
    }

    /** Sets the replica count to {@code next(current)} atomically; true when it changed. */
    private boolean change(TargetRef target, IntUnaryOperator next) {
        Workload workload = workload(target);
        long generation;
        int replicas;
        synchronized (workload) {
            replicas = next.applyAsInt(workload.desired);
            if (workload.desired == replicas) {
                return false;
            }
            workload.generation++;
            generation = workload.generation;
            workload.desired = replicas;
            if (replicas == 0) {
                workload.paused = false; // a scale to 0 releases paused replicas too (Pausable's promise)
            }
            if (controllerLag) {
                workload.ready = Math.min(workload.ready, workload.ids.size());
            } else {
                workload.starts += Math.max(0, replicas - workload.ids.size());
                workload.resize(replicas);
                workload.ready = Math.min(workload.ready, replicas);
            }
        }
        publish(target);
        if (replicas > 0 && !controllerLag) {
            scheduler.schedule(this.startup, () -> {
                String failReason;
                List<String> failOutput;
                int failed;
                synchronized (workload) {
                    if (workload.generation != generation) {
                        return;
                    }
                    failReason = workload.failReason;
                    failOutput = workload.failOutput;
                    failed = workload.ids.size() - workload.ready;
                    if (failReason == null) {
                        workload.ready = workload.ids.size();
                    } else {
                        // The ready ones stay; the starting ones are gone, and not replaced: the
                        // desired count drops with them, so the engine restarts them (or not).
                        workload.resize(workload.ready);
                        workload.desired = workload.ready;
                        workload.generation++;
                    }
                }
                if (failReason != null) {
                    for (int i = 0; i < failed; i++) {
                        WorkloadEvent event = new WorkloadEvent.ReplicaFailed(target.name() + "-" + i, failReason, failOutput);
                        workload.listeners.forEach(listener -> listener.accept(event));
                    }
                }
                publish(target);
            });
        }
        return true;
    }

    @Override
    public void pause(TargetRef target) {
        calls.add("pause " + target.name());
        check();
        Workload workload = workload(target);
        synchronized (workload) {
            workload.paused = true;
        }
        publish(target);
    }

    @Override
    public void resume(TargetRef target) {
        calls.add("resume " + target.name());
        check();
        Workload workload = workload(target);
        synchronized (workload) {
            workload.paused = false;
        }
        publish(target);
    }

    /**
     * Listed in {@link #attaches}, not in {@link #calls()}. Refuses a workload whose settings have
     * {@code invalid: <message>} with CONFIG_INVALID at {@code <workload path>.invalid}, as a real
     * orchestrator refuses a bad key.
     */
    @Override
    public void attach(io.zeroscale.spi.orchestrator.Workload workload) {
        workload.settings().string("invalid").ifPresent(message -> {
            throw workload.settings().invalid("invalid", message);
        });
        attaches.add(workload.target().name());
    }

    /** The names of the workloads attached so far, in order (one entry per attach). */
    public List<String> attaches() {
        return List.copyOf(attaches);
    }

    /** Records {@code detach app} and drops the target's watchers; its replicas stay as they are. */
    @Override
    public void detach(io.zeroscale.spi.orchestrator.Workload workload) {
        calls.add("detach " + workload.target().name());
        workload(workload.target()).listeners.clear();
    }

    @Override
    public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
        Workload workload = workload(target);
        workload.listeners.add(listener);
        listener.accept(new WorkloadEvent.Changed(state(target)));
        return () -> workload.listeners.remove(listener);
    }

    @Override
    public void close() {
        closed = true;
    }

    private void publish(TargetRef target) {
        Workload workload = workload(target);
        ObservedState state = state(target);
        for (Consumer<WorkloadEvent> listener : workload.listeners) {
            listener.accept(new WorkloadEvent.Changed(state));
        }
    }

    private void check() {
        if (failing) {
            throw new ZeroscaleException(ORCHESTRATOR_UNAVAILABLE, "fake orchestrator is failing (as the test asked)");
        }
    }

    private Workload workload(TargetRef target) {
        return workloads.computeIfAbsent(target, ignored -> new Workload());
    }

    private static final class Workload {
        int desired;
        /** The existing replicas' ids, oldest first; the first {@link #ready} of them are ready. */
        final List<Integer> ids = new ArrayList<>();
        int nextId = 1;
        int ready;
        boolean paused;
        long generation;
        int starts;
        @org.jspecify.annotations.Nullable String failReason;
        List<String> failOutput = List.of();
        final List<Consumer<WorkloadEvent>> listeners = new CopyOnWriteArrayList<>();

        /** Adds new replicas at the end, or removes the newest, until {@code existing} exist. */
        void resize(int existing) {
            while (ids.size() < existing) {
                ids.add(nextId++);
            }
            while (ids.size() > existing) {
                ids.removeLast();
            }
            ready = Math.min(ready, existing);
        }

        static Endpoint endpoint(int id) {
            return new Endpoint("10.0.0." + id, 8080);
        }

        ObservedState state(Scheduler scheduler) {
            List<Endpoint> endpoints = new ArrayList<>();
            int serving = paused ? 0 : ready;
            for (int i = 0; i < serving; i++) {
                endpoints.add(endpoint(ids.get(i)));
            }
            return new ObservedState(desired, ids.size(), serving, paused ? ids.size() : 0,
                    Collections.unmodifiableList(endpoints), scheduler.clock().instant());
        }
    }
}
