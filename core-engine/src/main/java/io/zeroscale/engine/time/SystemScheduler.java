package io.zeroscale.engine.time;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Scheduler} on the wall clock, backed by one platform thread. Tasks must not block: they
 * share that thread. A task that throws is logged; a periodic task keeps running after it threw.
 * {@link #close()} cancels everything still pending.
 */
public final class SystemScheduler implements Scheduler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SystemScheduler.class);

    private final ScheduledThreadPoolExecutor executor;

    public SystemScheduler() {
        executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "zeroscale-scheduler");
            // A forgotten scheduler must not keep the JVM alive.
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    @Override
    public InstantSource clock() {
        return InstantSource.system();
    }

    /**
     * @throws java.util.concurrent.RejectedExecutionException after {@link #close()}
     */
    @Override
    public Subscription schedule(Duration delay, Runnable task) {
        requireNonNull(delay, "delay is null");
        requireNonNull(task, "task is null");
        long nanos = Math.max(0, saturatedNanos(delay));
        ScheduledFuture<?> future = executor.schedule(guarded(task), nanos, TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    /**
     * @throws IllegalArgumentException when {@code period} is not positive
     * @throws java.util.concurrent.RejectedExecutionException after {@link #close()}
     */
    @Override
    public Subscription scheduleAtFixedRate(Duration period, Runnable task) {
        requireNonNull(period, "period is null");
        requireNonNull(task, "task is null");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive, got " + period);
        }
        long nanos = saturatedNanos(period);
        ScheduledFuture<?> future =
                executor.scheduleAtFixedRate(guarded(task), nanos, nanos, TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    /** Cancels pending tasks and stops the thread; a task already running finishes. */
    @Override
    public void close() {
        executor.shutdownNow();
    }

    private static Runnable guarded(Runnable task) {
        // An exception escaping a periodic task would cancel it silently; log it and carry on.
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("scheduled task {} failed", task, e);
            }
        };
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
