package io.zeroscale.engine.process;

import io.zeroscale.engine.time.SystemScheduler;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A real-time plugin context: the wall-clock scheduler, virtual threads, a given data directory. */
final class TestPluginContext implements PluginContext, AutoCloseable {
    private final SystemScheduler scheduler = new SystemScheduler();
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
    private final Path dataDirectory;

    TestPluginContext(Path dataDirectory) {
        this.dataDirectory = dataDirectory;
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public ExecutorService blockingExecutor() {
        return blocking;
    }

    @Override
    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public void close() {
        scheduler.close();
        blocking.close();
    }
}
