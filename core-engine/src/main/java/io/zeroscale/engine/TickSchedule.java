package io.zeroscale.engine;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * When a target's tick runs. A tick polls pull signals, checks the gateways against their TTL,
 * observes workloads that cannot be watched, reconciles, and lets the automaton see time pass.
 * A target with none of that pending needs no tick; 100,000 targets ticking once a second
 * saturate a core doing nothing. After each message the actor says whether it needs the tick
 * ({@link #update}): if so, it ticks every {@code tick} as before; if not, the periodic tick
 * stops, and a single tick runs at the next deadline the actor names (a gateway's TTL), if any.
 * Confined to the target's actor.
 */
final class TickSchedule {
    private final Scheduler scheduler;
    private final Duration period;
    private final Consumer<Runnable> post;
    private final Runnable tick;
    private @Nullable Subscription periodic;
    private @Nullable Subscription wakeUp;
    private @Nullable Instant wakeUpAt;
    /** Which wake-up is live: a firing already queued when it was replaced must not clear its successor. */
    private long generation;
    private boolean closed;

    /**
     * @param post puts a message in the actor's mailbox
     * @param tick the actor's tick, run as a message
     */
    TickSchedule(Scheduler scheduler, Duration period, Consumer<Runnable> post, Runnable tick) {
        this.scheduler = scheduler;
        this.period = period;
        this.post = post;
        this.tick = tick;
    }

    /**
     * Ticks every period while {@code needed}; otherwise not, except once at {@code deadline}
     * (or earlier, if a wake-up was already set before it: a tick too early only checks again).
     */
    void update(boolean needed, @Nullable Instant deadline) {
        if (closed) {
            return;
        }
        if (needed) {
            cancelWakeUp();
            if (periodic == null) {
                periodic = scheduler.scheduleAtFixedRate(period, () -> post.accept(tick));
            }
            return;
        }
        Subscription running = periodic;
        if (running != null) {
            running.close();
            periodic = null;
        }
        if (deadline == null) {
            cancelWakeUp();
            return;
        }
        Instant pending = wakeUpAt;
        if (pending != null && !pending.isAfter(deadline)) {
            return; // set already, for no later: a report per event must not reschedule it each time
        }
        cancelWakeUp();
        long live = ++generation;
        Duration after = Duration.between(scheduler.clock().instant(), deadline);
        wakeUpAt = deadline;
        wakeUp = scheduler.schedule(after.isNegative() ? Duration.ZERO : after, () -> post.accept(() -> {
            if (live == generation) {
                wakeUp = null;
                wakeUpAt = null;
            }
            tick.run();
        }));
    }

    /** True while the periodic tick runs. */
    boolean ticking() {
        return periodic != null;
    }

    /** When the single tick of a quiet target runs, or null. */
    @Nullable Instant wakeUpAt() {
        return wakeUpAt;
    }

    /** Stops every tick for good. */
    void close() {
        closed = true;
        Subscription running = periodic;
        if (running != null) {
            running.close();
            periodic = null;
        }
        cancelWakeUp();
    }

    private void cancelWakeUp() {
        Subscription pending = wakeUp;
        if (pending != null) {
            pending.close();
            wakeUp = null;
            wakeUpAt = null;
            generation++;
        }
    }
}
