package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Durations;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.alert.Alert;
import io.zeroscale.spi.alert.AlertSink;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.metrics.SignalValue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every target through {@link Engine#subscribeDecisions} and {@link Engine#subscribeAlerts}
 * and raises the {@link Alert alerts} operators page on: a failed wake, a slow wake, actuation
 * failing, a signal unknown too long, flapping, requests refused for overflow, and an automaton's
 * own alert actions. Each condition fires once per occurrence (deduplicated by {@link Alert#key()}),
 * is resolved when it ends, and firing alerts are rate limited. Time comes from the engine's clock.
 *
 * <p>Conditions are evaluated on the target's actor thread after each decision (ticks included),
 * so a target's alerts are evaluated one at a time; sending happens on the blocking executor, one
 * ordered queue per sink so a resolution never overtakes its firing alert. Only the leader sends:
 * a follower's alerts would page twice.
 */
public final class Alerting implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Alerting.class);
    /** Alerts waiting per sink before new ones are dropped (and logged): a dead receiver must not eat the heap. */
    static final int QUEUE_LIMIT = 10_000;

    private final Engine engine;
    private final AlertSettings settings;
    private final Scheduler scheduler;
    private final List<SinkQueue> sinks;
    private final Map<TargetRef, TargetAlerts> targets = new ConcurrentHashMap<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final Object rateLock = new Object();
    private Instant windowStart = Instant.EPOCH;
    private int sentInWindow;
    private volatile boolean closed;

    /**
     * Subscribes to {@code engine}; alerts go to {@code sinks}, which this object closes.
     *
     * @param sinks by name (the {@code alerts.sinks} key)
     * @param blocking where sinks' blocking sends run
     */
    public Alerting(Engine engine, AlertSettings settings, Map<String, AlertSink> sinks, Scheduler scheduler, Executor blocking) {
        this.engine = requireNonNull(engine, "engine is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        List<SinkQueue> queues = new ArrayList<>();
        sinks.forEach((name, sink) -> queues.add(new SinkQueue(name, sink, blocking)));
        this.sinks = List.copyOf(queues);
        subscriptions.add(engine.subscribeAlerts(this::onAutomatonAlert));
        subscriptions.add(engine.subscribeDecisionsEveryTick(this::onDecision)); // judges time on ticks too
    }

    /** The alerts firing now, oldest first; for the API and tests. */
    public List<Alert> firing() {
        List<Alert> out = new ArrayList<>();
        for (TargetAlerts target : targets.values()) {
            synchronized (target) {
                out.addAll(target.active.values());
            }
        }
        out.sort(java.util.Comparator.comparing(Alert::startsAt));
        return out;
    }

    // ---- inputs (actor threads) ------------------------------------------------------------------

    private void onAutomatonAlert(Engine.AlertEvent event) {
        TargetAlerts target = targets.computeIfAbsent(event.ref(), ref -> new TargetAlerts());
        synchronized (target) {
            // The decision that raised it follows at once on this thread (see onDecision).
            target.automatonAlerts.add(event.alert());
        }
    }

    private void onDecision(TargetRef ref, Event event, Decision decision) {
        if (closed) {
            return;
        }
        TargetStatus status = engine.statusOf(ref);
        if (status == null) {
            return;
        }
        Instant now = scheduler.clock().instant();
        TargetAlerts target = targets.computeIfAbsent(ref, key -> new TargetAlerts());
        List<Alert> out = new ArrayList<>();
        List<String> held = new ArrayList<>();
        synchronized (target) {
            target.evaluate(status, event, decision, now, out);
            for (Alert alert : out) {
                if (alert.status() == Alert.Status.FIRING && !allowed(now)) {
                    target.suppressed.add(alert.key());
                    held.add("more than " + settings.maxPerMinute() + " alerts in a minute");
                } else if (alert.status() == Alert.Status.RESOLVED && target.suppressed.remove(alert.key())) {
                    held.add("its firing alert was not sent");
                } else {
                    held.add("");
                }
            }
        }
        for (int i = 0; i < out.size(); i++) {
            publish(status, out.get(i), now, held.get(i));
        }
    }

    // ---- conditions ------------------------------------------------------------------------------

    /** One target's condition state; guarded by its own monitor (decisions of one target arrive in order). */
    private final class TargetAlerts {
        final Map<String, Alert> active = new LinkedHashMap<>();
        /** Keys whose firing alert the rate limit kept back: their resolution is not sent either. */
        final Set<String> suppressed = new HashSet<>();
        final List<Action.Alert> automatonAlerts = new ArrayList<>();
        final Map<String, Instant> automatonRaised = new HashMap<>();
        final ArrayDeque<Instant> stateChanges = new ArrayDeque<>();
        final Map<String, Instant> unknownSince = new HashMap<>();
        @Nullable String lastState;
        final WakeWatch wakes = new WakeWatch();
        long overflowed;
        @Nullable Instant lastOverflow;

        void evaluate(TargetStatus status, Event event, Decision decision, Instant now, List<Alert> out) {
            List<Action.Alert> raised = List.copyOf(automatonAlerts);
            automatonAlerts.clear();
            boolean wakeFailedNow = wake(status, decision, raised, now, out);
            flapping(status, now, out);
            actuation(status, event, now, out);
            signals(status, now, out);
            overflow(status, now, out);
            automaton(status, raised, wakeFailedNow, now, out);
        }

        /** Returns true when this decision ended a wake in failure. */
        private boolean wake(TargetStatus status, Decision decision, List<Action.Alert> raised, Instant now, List<Alert> out) {
            if (status.readyReplicas() > 0) {
                // A ready replica ends every failed wake: "the next good wake" resolves it.
                resolve(status, Alert.WAKE_FAILED, Map.of(), now, "target " + status.name() + " is ready again", out);
            }
            boolean failedHeld = decision.actions().stream().anyMatch(Action.FailHeld.class::isInstance);
            Duration exact;
            switch (wakes.observe(status.desiredReplicas(), status.readyReplicas(), failedHeld, now)) {
                case WakeWatch.Step.Idle ignored -> {
                    return false;
                }
                case WakeWatch.Step.Started ignored -> {
                    return false;
                }
                case WakeWatch.Step.Ready ready -> exact = ready.took();
                case WakeWatch.Step.Failed failed -> exact = failed.took();
                case WakeWatch.Step.Waiting waiting -> exact = waiting.took();
            }
            // Whole seconds read better in a page than "40s66ms"; below a second keep the millis.
            Duration took = exact.compareTo(Duration.ofSeconds(1)) >= 0 ? exact.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) : exact;
            if (status.readyReplicas() > 0) {
                if (took.compareTo(settings.wakeSlow()) > 0) {
                    fire(status, Alert.WAKE_SLOW, Action.Severity.WARNING, Map.of(), now,
                            "wake of " + status.name() + " took " + Durations.format(took) + ", more than "
                                    + Durations.format(settings.wakeSlow()), out);
                } else {
                    resolve(status, Alert.WAKE_SLOW, Map.of(), now,
                            "wake of " + status.name() + " took " + Durations.format(took), out);
                }
                return false;
            }
            if (wakes.since() == null) {
                // Slow is moot once the wake failed: the failure is the one page.
                resolve(status, Alert.WAKE_SLOW, Map.of(), now, "wake of " + status.name() + " failed", out);
                String reason = raised.isEmpty() ? status.lastReason() : raised.getFirst().message();
                fire(status, Alert.WAKE_FAILED, Action.Severity.CRITICAL, Map.of(), now,
                        "wake of " + status.name() + " failed after " + Durations.format(took) + ": " + reason, out);
                return true;
            }
            if (took.compareTo(settings.wakeSlow()) > 0) {
                fire(status, Alert.WAKE_SLOW, Action.Severity.WARNING, Map.of(), now,
                        "wake of " + status.name() + " not ready after " + Durations.format(took) + ", more than "
                                + Durations.format(settings.wakeSlow()), out);
            }
            return false;
        }

        private void flapping(TargetStatus status, Instant now, List<Alert> out) {
            String previous = lastState;
            lastState = status.state();
            if (previous != null && !previous.equals(status.state())) {
                stateChanges.addLast(now);
            }
            Instant horizon = now.minus(settings.flappingWindow());
            while (!stateChanges.isEmpty() && stateChanges.peekFirst().isBefore(horizon)) {
                stateChanges.removeFirst();
            }
            if (stateChanges.size() > settings.flappingChanges()) {
                fire(status, Alert.FLAPPING, Action.Severity.WARNING, Map.of(), now,
                        status.name() + " changed state " + stateChanges.size() + " times within "
                                + Durations.format(settings.flappingWindow()) + " (limit " + settings.flappingChanges() + ")", out);
            } else {
                resolve(status, Alert.FLAPPING, Map.of(), now, status.name() + " is steady again", out);
            }
        }

        private void actuation(TargetStatus status, Event event, Instant now, List<Alert> out) {
            boolean breakerOpen = engine.actuationBlocked(status.ref().orchestrator());
            if (event instanceof Event.ActuationFailed failed) {
                fire(status, Alert.ACTUATION_FAILING, Action.Severity.CRITICAL, Map.of(), now,
                        "orchestrator calls for " + status.name() + " fail: " + failed.reason(), out);
            } else if (breakerOpen) {
                fire(status, Alert.ACTUATION_FAILING, Action.Severity.CRITICAL, Map.of(), now,
                        "orchestrator '" + status.ref().orchestrator() + "' is failing: circuit breaker open", out);
            } else if (!status.observationStale() && status.observedReplicas() == status.desiredReplicas()) {
                resolve(status, Alert.ACTUATION_FAILING, Map.of(), now,
                        "orchestrator calls for " + status.name() + " work again", out);
            }
        }

        private void signals(TargetStatus status, Instant now, List<Alert> out) {
            for (Map.Entry<String, SignalValue> entry : status.signals().entrySet()) {
                String signal = entry.getKey();
                Map<String, String> labels = Map.of("signal", signal);
                if (entry.getValue() instanceof SignalValue.Unknown unknown) {
                    Instant since = unknownSince.computeIfAbsent(signal, name -> now);
                    Duration unknownFor = Duration.between(since, now);
                    if (unknownFor.compareTo(settings.signalUnknown()) > 0) {
                        fire(status, Alert.SIGNAL_UNKNOWN, Action.Severity.WARNING, labels, now,
                                "signal " + signal + " of " + status.name() + " unknown for " + Durations.format(unknownFor)
                                        + ": " + unknown.reason(), out);
                    }
                } else {
                    unknownSince.remove(signal);
                    resolve(status, Alert.SIGNAL_UNKNOWN, labels, now, "signal " + signal + " of " + status.name() + " is known again", out);
                }
            }
        }

        private void overflow(TargetStatus status, Instant now, List<Alert> out) {
            long count = status.requests().overflowed();
            if (count > overflowed) {
                long refused = count - overflowed;
                overflowed = count;
                lastOverflow = now;
                fire(status, Alert.OVERFLOW, Action.Severity.WARNING, Map.of(), now,
                        "the gateway refused " + refused + " request(s) for " + status.name() + ": its hold queue is full", out);
                return;
            }
            overflowed = count;
            Instant last = lastOverflow;
            if (last != null && Duration.between(last, now).compareTo(settings.overflowClearAfter()) >= 0) {
                lastOverflow = null;
                resolve(status, Alert.OVERFLOW, Map.of(), now, "no request refused for " + status.name() + " for "
                        + Durations.format(settings.overflowClearAfter()), out);
            }
        }

        private void automaton(TargetStatus status, List<Action.Alert> raised, boolean wakeFailedNow, Instant now, List<Alert> out) {
            // The automaton's alert for the failed wake is the wake-failed alert's reason: one failure pages once.
            if (!wakeFailedNow) {
                for (Action.Alert alert : raised) {
                    Map<String, String> labels = Map.of("alert", alertId(alert.message()));
                    automatonRaised.put(alertId(alert.message()), now);
                    fire(status, Alert.AUTOMATON, alert.severity(), labels, now, alert.message(), out);
                }
            }
            automatonRaised.entrySet().removeIf(entry -> {
                if (Duration.between(entry.getValue(), now).compareTo(settings.automatonClearAfter()) < 0) {
                    return false;
                }
                resolve(status, Alert.AUTOMATON, Map.of("alert", entry.getKey()), now,
                        "no repeat within " + Durations.format(settings.automatonClearAfter()), out);
                return true;
            });
        }

        private void fire(TargetStatus status, String kind, Action.Severity severity, Map<String, String> labels, Instant now,
                String summary, List<Alert> out) {
            Alert alert = new Alert(status.name(), status.ref(), kind, severity, Alert.Status.FIRING, summary, labels, now, null);
            String key = alert.key();
            if (active.containsKey(key)) {
                return; // deduplicated: already firing
            }
            active.put(key, alert);
            out.add(alert);
        }

        private void resolve(TargetStatus status, String kind, Map<String, String> labels, Instant now, String summary,
                List<Alert> out) {
            String key = new Alert(status.name(), status.ref(), kind, Action.Severity.INFO, Alert.Status.FIRING, "", labels, now, null).key();
            Alert firing = active.remove(key);
            if (firing == null) {
                return;
            }
            out.add(firing.resolved(now, summary));
        }
    }

    /** A short stable id for an automaton's alert message, so repeats of one message deduplicate. */
    private static String alertId(String message) {
        return Integer.toHexString(message.hashCode());
    }

    /** The rate limit on firing alerts: at most maxPerMinute per minute of the engine's clock. */
    private boolean allowed(Instant now) {
        synchronized (rateLock) {
            if (!now.isBefore(windowStart.plus(Duration.ofMinutes(1)))) {
                windowStart = now;
                sentInWindow = 0;
            }
            if (sentInWindow >= settings.maxPerMinute()) {
                return false;
            }
            sentInWindow++;
            return true;
        }
    }

    // ---- output ----------------------------------------------------------------------------------

    /** Journals {@code alert} and queues it for every sink, unless {@code notSent} says why not. */
    private void publish(TargetStatus status, Alert alert, Instant now, String notSent) {
        String line = "alert " + alert.kind() + " " + alert.status().name().toLowerCase(java.util.Locale.ROOT) + ": " + alert.summary();
        if (!notSent.isEmpty()) {
            log.warn("{} (not sent: {})", line, notSent);
            engine.journal().append(journalEntry(status, now, line + " (not sent: " + notSent + ")"));
            return;
        }
        if (!engine.leadership().isLeader()) {
            // The leader raises the same alert; a follower's would page twice.
            engine.journal().append(journalEntry(status, now, line + " (not sent: not the leader)"));
            return;
        }
        engine.journal().append(journalEntry(status, now, line));
        log.atInfo().addKeyValue("target", alert.target()).addKeyValue("kind", alert.kind())
                .addKeyValue("status", alert.status()).log(alert.summary());
        for (SinkQueue sink : sinks) {
            sink.offer(alert);
        }
    }

    private static JournalEntry journalEntry(TargetStatus status, Instant now, String message) {
        return new JournalEntry(now, status.ref(), JournalEntry.Kind.ALERT, status.state(), status.desiredReplicas(),
                status.routing(), message);
    }

    /** Stops watching and closes the sinks; alerts still queued are dropped (and logged). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        subscriptions.forEach(Subscription::close);
        for (SinkQueue sink : sinks) {
            sink.close();
        }
    }

    /** One sink's ordered queue: at most one send at a time, drained on the blocking executor. */
    private final class SinkQueue {
        private final String name;
        private final AlertSink sink;
        private final Executor blocking;
        private final ArrayDeque<Alert> queue = new ArrayDeque<>();
        private boolean draining;

        SinkQueue(String name, AlertSink sink, Executor blocking) {
            this.name = name;
            this.sink = sink;
            this.blocking = blocking;
        }

        void offer(Alert alert) {
            synchronized (this) {
                if (queue.size() >= QUEUE_LIMIT) {
                    log.warn("alert sink {} is {} alerts behind; dropping {} {}", name, QUEUE_LIMIT, alert.key(), alert.status());
                    return;
                }
                queue.addLast(alert);
                if (draining) {
                    return;
                }
                draining = true;
            }
            blocking.execute(this::drain);
        }

        private void drain() {
            while (true) {
                Alert next;
                synchronized (this) {
                    next = closed ? null : queue.pollFirst();
                    if (next == null) {
                        draining = false;
                        return;
                    }
                }
                try {
                    sink.send(next);
                } catch (RuntimeException e) {
                    log.warn("alert sink {} could not deliver {} {}: {}", name, next.key(), next.status(), e.getMessage(), e);
                }
            }
        }

        void close() {
            int left;
            synchronized (this) {
                left = queue.size();
                queue.clear();
            }
            if (left > 0) {
                log.warn("alert sink {} closed with {} alert(s) not sent", name, left);
            }
            try {
                sink.close();
            } catch (RuntimeException e) {
                log.warn("closing alert sink {} failed", name, e);
            }
        }
    }
}
