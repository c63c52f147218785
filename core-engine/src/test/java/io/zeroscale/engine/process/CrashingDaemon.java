package io.zeroscale.engine.process;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in for the daemon, run in its own JVM by {@link ProcessAdoptionTest}: scales one backend
 * workload to one replica, prints {@code READY} once it is ready, and waits to be killed, so the
 * test can crash it for real (SIGKILL, no close()). Arguments: data directory, target name, fixture
 * id.
 */
public final class CrashingDaemon {
    static final String READY = "READY";

    private CrashingDaemon() {}

    public static void main(String[] args) throws Exception {
        Path dataDirectory = Path.of(args[0]);
        Workload workload = ProcessFixture.workload(args[1], ProcessFixture.backendSettings(args[2]));
        TestPluginContext context = TestPluginContext.realTime(dataDirectory);
        ProcessOrchestrator orchestrator =
                new ProcessOrchestratorFactory().create("local", Config.empty("orchestrators.local"), context);
        orchestrator.attach(workload);
        CountDownLatch ready = new CountDownLatch(1);
        orchestrator.watch(workload.target(), event -> {
            if (event instanceof WorkloadEvent.Changed changed && changed.state().readyReplicas() == 1) {
                ready.countDown();
            }
        });
        orchestrator.scale(workload.target(), 1);
        ready.await();
        System.out.println(READY);
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
