package io.zeroscale.spi;

import java.time.Duration;
import java.time.InstantSource;

/**
 * The only source of time and delayed work for the engine and plugins. In production it is backed
 * by the wall clock; in tests and simulations by virtual time that the test advances, so no code
 * that takes time from a {@code Scheduler} needs to sleep.
 *
 * <p>Tasks must not block: they run on a shared thread (production) or on the thread that advances
 * virtual time (tests). Hand blocking work to {@link PluginContext#blockingExecutor()}.
 */
public interface Scheduler {
    /** The current time. Never call {@code Instant.now()} in logic; call this. */
    InstantSource clock();

    /**
     * Runs {@code task} once after {@code delay}. A zero or negative delay runs it as soon as
     * possible, never inline on the calling thread.
     *
     * @return a subscription whose {@code close()} cancels the task if it has not started
     */
    Subscription schedule(Duration delay, Runnable task);

    /** Runs {@code task} every {@code period}, the first time after {@code period}. */
    Subscription scheduleAtFixedRate(Duration period, Runnable task);
}
