package io.zeroscale.plugin.aws;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A plugin context whose periodic tasks run only when the test calls {@link #tick()}, so a test
 * counts exactly how many poll intervals passed. Blocking work runs on virtual threads; one-off
 * tasks run at once on them.
 */
final class ManualTicks implements PluginContext, AutoCloseable {
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    /** Tasks handed to the blocking executor (polls among them) and not finished yet. */
    private final AtomicInteger running = new AtomicInteger();
    private final List<Runnable> periodic = new CopyOnWriteArrayList<>();
    private final Instant start = Instant.parse("2026-12-01T00:00:00Z");
    private final long startNanos = System.nanoTime();
    /** How long one second of the clock lasts, or null while the clock stands still. */
    private volatile @Nullable Duration second;

    /**
     * From now on the clock runs, one second of it lasting {@code second} (like the proxy's {@link
     * io.zeroscale.testkit.AwsTestProxy#hookSecond}); until then it stands still.
     */
    void runClock(Duration second) {
        this.second = second;
    }

    private Instant now() {
        Duration current = second;
        if (current == null) {
            return start;
        }
        return start.plusMillis((System.nanoTime() - startNanos) * 1000 / current.toNanos());
    }

    /** True when no task handed to this context's executors is queued or running (no poll in flight). */
    boolean idle() {
        return running.get() == 0;
    }

    private void run(Runnable task) {
        running.incrementAndGet();
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } finally {
                    running.decrementAndGet();
                }
            });
        } catch (RuntimeException e) {
            running.decrementAndGet();
            throw e;
        }
    }

    /** Runs every periodic task once: one poll interval passed. */
    void tick() {
        periodic.forEach(Runnable::run);
    }

    @Override
    public Scheduler scheduler() {
        return new Scheduler() {
            @Override
            public InstantSource clock() {
                return ManualTicks.this::now;
            }

            @Override
            public Subscription schedule(Duration delay, Runnable task) {
                run(task);
                return Subscription.NONE;
            }

            @Override
            public Subscription scheduleAtFixedRate(Duration period, Runnable task) {
                periodic.add(task);
                return () -> periodic.remove(task);
            }
        };
    }

    @Override
    public Executor blockingExecutor() {
        return ManualTicks.this::run;
    }

    @Override
    public Path dataDirectory() {
        throw new UnsupportedOperationException("the aws orchestrator keeps no local state");
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
