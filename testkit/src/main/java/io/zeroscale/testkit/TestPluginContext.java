package io.zeroscale.testkit;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.spi.events.EngineListener;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PluginContext} for plugin tests: a clock, a virtual thread per blocking task, an
 * optional data directory, and a scheduler that either runs tasks on a real single-thread timer
 * or refuses to schedule at all.
 *
 * <ul>
 *   <li>{@link #at(Instant)}: time stands still, nothing may be scheduled, no data directory. For
 *       plugins whose factories only read config and the clock, such as metric sources.
 *   <li>{@link #realTime(Path)}: the wall clock, a real timer and a data directory. For plugins
 *       that drive real processes or sockets, such as the process orchestrator.
 *   <li>{@link #builder()} for any other combination.
 * </ul>
 *
 * <p>A refused schedule call or a missing data directory throws {@link AssertionError}, so a
 * plugin cannot swallow it as an ordinary failure and the test fails. The real timer waits in
 * real time whatever the clock says; a task that throws is logged and a periodic one keeps
 * running. Thread-safe. {@link #close()} stops the timer (later schedule calls throw {@link
 * java.util.concurrent.RejectedExecutionException}, as the engine's scheduler does) and waits for
 * running blocking tasks.
 */
public final class TestPluginContext implements PluginContext, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TestPluginContext.class);

    private final InstantSource clock;
    private final @Nullable ScheduledThreadPoolExecutor timer;
    private final Scheduler scheduler;
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    private final @Nullable Path dataDirectory;
    private final java.util.List<EngineListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private TestPluginContext(InstantSource clock, boolean realTimer, @Nullable Path dataDirectory) {
        this.clock = requireNonNull(clock, "clock is null");
        this.timer = realTimer ? newTimer() : null;
        this.scheduler = new TestScheduler();
        this.dataDirectory = dataDirectory;
    }

    /** A context whose clock stands still at {@code now}, that refuses scheduling and has no data directory. */
    public static TestPluginContext at(Instant now) {
        return builder().fixedAt(now).build();
    }

    /** A context on the wall clock with a real timer and {@code dataDirectory}; close it after the test. */
    public static TestPluginContext realTime(Path dataDirectory) {
        return builder().realTimer().dataDirectory(dataDirectory).build();
    }

    /** Starts from the wall clock, no timer (scheduling refused) and no data directory. */
    public static Builder builder() {
        return new Builder();
    }

    /** The clock of {@link #scheduler()}, for the test to compute expected times with. */
    public InstantSource clock() {
        return clock;
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    /** A new virtual thread per task, like the engine's; closed by {@link #close()}. */
    @Override
    public ExecutorService blockingExecutor() {
        return blocking;
    }

    /**
     * @throws AssertionError when the context was built without a data directory
     */
    @Override
    public Path dataDirectory() {
        if (dataDirectory == null) {
            throw new AssertionError("this test's plugin context has no data directory;"
                    + " build it with TestPluginContext.builder().dataDirectory(dir)");
        }
        return dataDirectory;
    }

    /** Keeps {@code listener} for {@link #publish}, as the engine would call it with its events. */
    @Override
    public Subscription subscribe(EngineListener listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
        return () -> listeners.remove(listener);
    }

    /**
     * Plays the engine: calls every listener the plugin {@linkplain #subscribe subscribed} with
     * {@code event}, on the calling thread. A listener's exception reaches the test.
     */
    public void publish(EngineEvent event) {
        requireNonNull(event, "event is null");
        listeners.forEach(listener -> listener.onEvent(event));
    }

    /** How many listeners the plugin has subscribed and not closed. */
    public int listeners() {
        return listeners.size();
    }

    /** Cancels pending timer tasks and waits for running blocking tasks. Idempotent. */
    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        blocking.close();
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "test-plugin-context-timer");
            // A context a test forgot to close must not keep the JVM alive.
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timer.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        return timer;
    }

    private final class TestScheduler implements Scheduler {
        @Override
        public InstantSource clock() {
            return clock;
        }

        @Override
        public Subscription schedule(Duration delay, Runnable task) {
            // TimeUnit.convert saturates instead of overflowing on huge delays.
            long nanos = Math.max(0, TimeUnit.NANOSECONDS.convert(delay));
            ScheduledFuture<?> future = requireTimer().schedule(logged(task), nanos, TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        }

        /** @throws IllegalArgumentException when {@code period} is not positive (from the timer) */
        @Override
        public Subscription scheduleAtFixedRate(Duration period, Runnable task) {
            long nanos = TimeUnit.NANOSECONDS.convert(period);
            ScheduledFuture<?> future =
                    requireTimer().scheduleAtFixedRate(logged(task), nanos, nanos, TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        }

        private ScheduledThreadPoolExecutor requireTimer() {
            if (timer == null) {
                throw new AssertionError("this test's plugin context refuses scheduling; if the plugin needs timers,"
                        + " build it with TestPluginContext.builder().realTimer()");
            }
            return timer;
        }

        private static Runnable logged(Runnable task) {
            requireNonNull(task, "task is null");
            // An exception escaping a periodic task would cancel it silently.
            return () -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("scheduled task {} failed", task, e);
                }
            };
        }
    }

    /** Builds a {@link TestPluginContext}; not thread-safe. */
    public static final class Builder {
        private InstantSource clock = InstantSource.system();
        private boolean realTimer;
        private @Nullable Path dataDirectory;

        private Builder() {}

        /** The scheduler's clock; the wall clock unless set. */
        public Builder clock(InstantSource clock) {
            this.clock = requireNonNull(clock, "clock is null");
            return this;
        }

        /** A clock that stands still at {@code now}. */
        public Builder fixedAt(Instant now) {
            return clock(InstantSource.fixed(requireNonNull(now, "now is null")));
        }

        /** Runs scheduled tasks on a real single-thread timer instead of refusing them. */
        public Builder realTimer() {
            this.realTimer = true;
            return this;
        }

        /** The directory {@link TestPluginContext#dataDirectory()} returns. */
        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
            return this;
        }

        public TestPluginContext build() {
            return new TestPluginContext(clock, realTimer, dataDirectory);
        }
    }
}
