package io.zeroscale.engine.time;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link Scheduler}: wall-clock time and one platform thread that fires timers.
 * Tasks must only hand work off (post to an actor, submit to a virtual thread), never block.
 */
public final class SystemScheduler implements Scheduler, AutoCloseable {
    private final ScheduledExecutorService timer;
    private final InstantSource clock;

    public SystemScheduler() {
        this(InstantSource.system());
    }

    public SystemScheduler(InstantSource clock) {
        this.clock = clock;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "zeroscale-timer");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public InstantSource clock() {
        return clock;
    }

    @Override
    public Subscription schedule(Duration delay, Runnable task) {
        ScheduledFuture<?> future = timer.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    @Override
    public Subscription scheduleAtFixedRate(Duration period, Runnable task) {
        long nanos = period.toNanos();
        if (nanos <= 0) {
            throw new IllegalArgumentException("period must be positive, got " + period);
        }
        ScheduledFuture<?> future = timer.scheduleAtFixedRate(task, nanos, nanos, TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
