package io.zeroscale.daemon.it;

import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.process.ProcessOrchestrator;
import io.zeroscale.engine.process.ProcessOrchestratorFactory;
import io.zeroscale.engine.time.SystemScheduler;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Stops the process workloads a daemon left behind. The daemon leaves workloads running on
 * shutdown on purpose (the next daemon adopts them); a test must not. This adopts them from the
 * state file exactly as the next daemon would, then stops them.
 */
public final class LeftoverProcesses {
    private LeftoverProcesses() {}

    /**
     * Stops every replica of {@code targets} run by the process orchestrator named {@code local}
     * (the name every test config uses) under {@code dataDirectory}.
     */
    public static void stop(Path dataDirectory, Collection<TargetSpec> targets) throws Exception {
        try (SystemScheduler scheduler = new SystemScheduler(); ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor()) {
            ProcessOrchestrator orchestrator = new ProcessOrchestratorFactory().create("local", Config.empty("orchestrators.local"),
                    context(scheduler, blocking, dataDirectory.resolve("orchestrators").resolve("local")));
            for (TargetSpec target : targets) {
                orchestrator.attach(target.toWorkload());
            }
            orchestrator.stopAll();
            orchestrator.close();
        }
    }

    private static PluginContext context(Scheduler scheduler, Executor blocking, Path directory) {
        return new PluginContext() {
            @Override
            public Scheduler scheduler() {
                return scheduler;
            }

            @Override
            public Executor blockingExecutor() {
                return blocking;
            }

            @Override
            public Path dataDirectory() {
                return directory;
            }
        };
    }
}
