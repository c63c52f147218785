package io.zeroscale.plugin.tempo;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/** A plugin context whose clock stands still at {@code now}; metric sources schedule nothing. */
record TestContext(InstantSource clock) implements PluginContext {
    static TestContext at(Instant now) {
        return new TestContext(InstantSource.fixed(now));
    }

    @Override
    public Scheduler scheduler() {
        return new Scheduler() {
            @Override
            public InstantSource clock() {
                return clock;
            }

            @Override
            public Subscription schedule(Duration delay, Runnable task) {
                throw new UnsupportedOperationException("a metric source must not schedule work");
            }

            @Override
            public Subscription scheduleAtFixedRate(Duration period, Runnable task) {
                throw new UnsupportedOperationException("a metric source must not schedule work");
            }
        };
    }

    @Override
    public Executor blockingExecutor() {
        return Executors.newVirtualThreadPerTaskExecutor();
    }

    @Override
    public Path dataDirectory() {
        throw new UnsupportedOperationException("a metric source keeps no state");
    }
}
