package io.zeroscale.plugin.aws;

import static java.util.Objects.requireNonNull;

import io.zeroscale.plugin.support.SerialExecutor;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll loop the AWS orchestrators share: every {@code poll-interval} one {@link Round} reads
 * the state of every watched resource at once (the round batches its Describe calls), and each
 * watcher whose state changed gets a {@link WorkloadEvent.Changed}; the first event of a watch is
 * the current state. A throttled round waits 2, 4, then at most {@value #MAX_BACKOFF_INTERVALS}
 * intervals before the next one. A failed round pushes nothing: the engine keeps the last state
 * and never reads a failure as zero. A resource the round did not find is logged once per watch
 * and reported as nothing, never as zero replicas.
 *
 * <p>Thread-safe. Rounds run one at a time on the blocking executor, which also delivers the
 * events (in order per watcher).
 *
 * @param <S> a resource's settings (a record: equal settings are read once per round)
 */
final class Poller<S> {
    private static final Logger log = LoggerFactory.getLogger(Poller.class);
    /** A throttled round backs off to at most this many intervals. */
    static final int MAX_BACKOFF_INTERVALS = 8;

    /** One round over the distinct watched settings; a resource not found is left out of the answer. */
    @FunctionalInterface
    interface Round<S> {
        Map<S, ObservedState> read(List<S> watched);
    }

    private final String orchestrator;
    private final String resources;
    private final Duration interval;
    private final PluginContext context;
    private final Round<S> round;
    private final Function<S, TargetRef> target;
    private final Function<S, String> describe;
    private final Function<S, List<WorkloadEvent>> announcements;
    private final List<Watch<S>> watches = new CopyOnWriteArrayList<>();
    private final SerialExecutor polls;
    private final AtomicBoolean pollQueued = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private @Nullable Subscription ticker;
    /** Ticks still to skip after throttling (touched by the serial round only). */
    private int skipTicks;
    private int backoffIntervals;

    /**
     * @param orchestrator the orchestrator's name, for logs
     * @param resources what is polled, plural, for logs ("Auto Scaling group(s)")
     * @param target the target of a resource's settings
     * @param describe a resource as a user knows it ("Auto Scaling group 'web'"), for logs
     */
    Poller(String orchestrator, String resources, Duration interval, PluginContext context, Round<S> round,
            Function<S, TargetRef> target, Function<S, String> describe) {
        this(orchestrator, resources, interval, context, round, target, describe, settings -> List.of());
    }

    /**
     * @param announcements events besides the state (e.g. {@link WorkloadEvent.ReplicaStarted})
     *     that a round found for a resource; taken once per round per resource, after the round
     *     and before its {@link WorkloadEvent.Changed}, and delivered to every watcher of it
     */
    Poller(String orchestrator, String resources, Duration interval, PluginContext context, Round<S> round,
            Function<S, TargetRef> target, Function<S, String> describe, Function<S, List<WorkloadEvent>> announcements) {
        this.announcements = requireNonNull(announcements, "announcements is null");
        this.orchestrator = requireNonNull(orchestrator, "orchestrator is null");
        this.resources = requireNonNull(resources, "resources is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.context = requireNonNull(context, "context is null");
        this.round = requireNonNull(round, "round is null");
        this.target = requireNonNull(target, "target is null");
        this.describe = requireNonNull(describe, "describe is null");
        this.polls = new SerialExecutor(context.blockingExecutor());
    }

    /** Starts pushing the state of {@code settings}' resource to {@code listener}, the current state first. */
    Subscription watch(S settings, Consumer<WorkloadEvent> listener) {
        Watch<S> watch = new Watch<>(settings, requireNonNull(listener, "listener is null"));
        watches.add(watch);
        startTicker();
        requestPoll();
        return () -> watches.remove(watch);
    }

    /** Ends every watch of {@code target} (a detach). */
    void forget(TargetRef target) {
        watches.removeIf(watch -> this.target.apply(watch.settings).equals(target));
    }

    /** Polls every watched resource now (besides the regular ticks); coalesces with a round already waiting. */
    void requestPoll() {
        if (!closed.get() && pollQueued.compareAndSet(false, true)) {
            polls.execute(() -> {
                pollQueued.set(false);
                pollWatched();
            });
        }
    }

    private synchronized void startTicker() {
        if (ticker == null && !closed.get()) {
            ticker = context.scheduler().scheduleAtFixedRate(interval, this::tick);
        }
    }

    private void tick() {
        if (closed.get() || watches.isEmpty() || pollQueued.get()) {
            return;
        }
        polls.execute(() -> {
            if (skipTicks > 0) {
                skipTicks--;
                return;
            }
            pollWatched();
        });
    }

    private void pollWatched() {
        List<Watch<S>> current = List.copyOf(watches);
        if (current.isEmpty() || closed.get()) {
            return;
        }
        LinkedHashSet<S> distinct = new LinkedHashSet<>();
        current.forEach(watch -> distinct.add(watch.settings));
        Map<S, ObservedState> found;
        try {
            found = round.read(new ArrayList<>(distinct));
            backoffIntervals = 0;
        } catch (ZeroscaleException e) {
            if (e.errorCode() == AwsErrorCode.THROTTLED) {
                backoffIntervals = Math.min(MAX_BACKOFF_INTERVALS, Math.max(2, backoffIntervals * 2));
                skipTicks = backoffIntervals - 1;
                log.warn("orchestrator {}: polling {} {} was throttled; next poll in {} intervals",
                        orchestrator, distinct.size(), resources, backoffIntervals);
            } else {
                log.warn("orchestrator {}: polling {} {} failed; the last state is kept: {}",
                        orchestrator, distinct.size(), resources, e.getMessage());
            }
            return;
        }
        Map<S, List<WorkloadEvent>> events = new HashMap<>();
        distinct.forEach(settings -> events.put(settings, announcements.apply(settings)));
        for (Watch<S> watch : current) {
            events.getOrDefault(watch.settings, List.of()).forEach(watch::announce);
            ObservedState state = found.get(watch.settings);
            if (state == null) {
                if (!watch.missingReported) {
                    watch.missingReported = true;
                    log.warn("orchestrator {}: {} was not found; nothing is reported for {} until it exists",
                            orchestrator, describe.apply(watch.settings), target.apply(watch.settings));
                }
                continue;
            }
            watch.deliver(state);
        }
    }

    /** Stops the ticks and ends every watch. */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Subscription running;
        synchronized (this) {
            running = ticker;
            ticker = null;
        }
        if (running != null) {
            running.close();
        }
        watches.clear();
    }

    /** One watcher of one resource, with the state it last heard; touched by the serial round only. */
    private static final class Watch<S> {
        private final S settings;
        private final Consumer<WorkloadEvent> listener;
        private @Nullable ObservedState last;
        private boolean missingReported;

        Watch(S settings, Consumer<WorkloadEvent> listener) {
            this.settings = settings;
            this.listener = listener;
        }

        void announce(WorkloadEvent event) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                log.warn("a watcher of {} failed", settings, e);
            }
        }

        void deliver(ObservedState state) {
            missingReported = false;
            ObservedState previous = last;
            if (previous == null || state.differsFrom(previous)) {
                last = state;
                try {
                    listener.accept(new WorkloadEvent.Changed(state));
                } catch (RuntimeException e) {
                    log.warn("a watcher of {} failed", settings, e);
                }
            }
        }
    }
}
