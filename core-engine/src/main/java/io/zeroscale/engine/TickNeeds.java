package io.zeroscale.engine;

import java.util.function.BooleanSupplier;

/**
 * Whether a target's next tick could do anything, asked after every message of its actor, and its
 * {@link TickSchedule} set from the answer: ticking every {@code policy.tick} while it could, and
 * otherwise only once at the gateways' next TTL check, if any.
 *
 * <p>A tick could do something while the workload is polled (not watched, or not observed yet), a
 * pull signal is queried, an override waits to expire, a gateway is silent (only a check sees it
 * heard from again), an engine listener wants every tick's decision (alerts), requests are held (a
 * follower's conditional wake, a wake after a crash-loop backoff), replicas failed to start (the
 * backoff and its end), the workload drifted from the last decision or a write waits for its retry
 * (the leader reconciles, unless automation is paused), or the automaton has something
 * time-dependent without a timer. Confined to the target's actor.
 */
final class TickNeeds {
    /** What only the actor knows; asked on the actor, in this order, only as far as needed. */
    interface Target {
        /** The automaton started (the first observation is in). */
        boolean started();

        /**
         * The workload is not where the last decision put it, a write waits for its retry, a scale is
         * in flight or replicas drain; false before the first decision.
         */
        boolean unsettled();

        /** The automaton has something time-dependent without a timer. */
        boolean automatonNeedsTicks();
    }

    private final TickSchedule schedule;
    private final boolean watched;
    private final SignalPoller poller;
    private final OperatorControls operator;
    private final TrafficReports reports;
    private final BooleanSupplier listenersNeedTicks;
    private final TargetView view;
    private final StartFailures startFailures;
    private final LeaderRole role;
    private final Target target;
    /** {@link #begin()} ran: the target is started, so its ticks are scheduled from now on. */
    private boolean begun;
    private boolean closed;

    /**
     * @param watched the orchestrator tells of changes to the workload itself: once started, no tick polls it
     * @param listenersNeedTicks the engine's listeners want every tick's decision (alerts)
     */
    TickNeeds(TickSchedule schedule, boolean watched, SignalPoller poller, OperatorControls operator, TrafficReports reports,
            BooleanSupplier listenersNeedTicks, TargetView view, StartFailures startFailures, LeaderRole role,
            Target target) {
        this.schedule = schedule;
        this.watched = watched;
        this.poller = poller;
        this.operator = operator;
        this.reports = reports;
        this.listenersNeedTicks = listenersNeedTicks;
        this.view = view;
        this.startFailures = startFailures;
        this.role = role;
        this.target = target;
    }

    /** The target started: ticks are scheduled after each message from now on. */
    void begin() {
        begun = true;
    }

    /** After every message: ticks while the next one could do anything, else once at the next TTL check. */
    void afterMessage() {
        if (!begun || closed) {
            return;
        }
        schedule.update(needed(), reports.nextCheck());
    }

    /** True while the next tick could do anything (see the class comment). */
    boolean needed() {
        if (!target.started() || !watched || poller.pulls() || operator.overrideUntil() != null || reports.anySilent()
                || listenersNeedTicks.getAsBoolean() || view.requests().held() > 0 || startFailures.streak() != null) {
            return true;
        }
        if (!operator.automationPaused() && role.leads() && target.unsettled()) {
            return true;
        }
        return target.automatonNeedsTicks();
    }

    /** Stops every tick for good. */
    void close() {
        closed = true;
        schedule.close();
    }
}
