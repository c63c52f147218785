package io.zeroscale.engine.process;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.EndpointsContract;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.io.TempDir;

/** The orchestrator contract, run against real child processes. */
class ProcessOrchestratorTest extends EndpointsContract {
    private static final AtomicInteger WORKLOADS = new AtomicInteger();

    @TempDir
    @Nullable Path dataDirectory;

    private @Nullable ProcessFixture fixture;

    @Override
    protected void setUpBackend() {
        fixture = new ProcessFixture(requireNonNull(dataDirectory, "dataDirectory"));
    }

    @Override
    protected void tearDownBackend() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Override
    protected Orchestrator newOrchestrator() {
        return fixture().newOrchestrator();
    }

    @Override
    protected Workload newWorkload() {
        return ProcessFixture.workload("backend-" + WORKLOADS.incrementAndGet(), fixture().backendSettings());
    }

    @Override
    protected BadWorkload badWorkload() {
        Map<String, Object> settings = new LinkedHashMap<>(fixture().backendSettings());
        settings.put("workdir", "/no/such/directory");
        return new BadWorkload(ProcessFixture.workload("bad-" + WORKLOADS.incrementAndGet(), settings), "workdir");
    }

    /**
     * The replicas are this JVM's own child processes: {@code observe} reads their handles from the
     * process table of the machine the daemon itself runs on, and reads no file and no socket, so
     * there is nothing between the orchestrator and its replicas that can be down while the daemon
     * is up. The state directory is read only at attach (adoption) and written at scale; tests run
     * as root, so making it unreadable would not even take effect.
     */
    @Override
    protected String whyTheBackendHasNoOutage() {
        return "the replicas are this process's own children, observed through their process handles on the daemon's own"
                + " machine (no file, no socket): nothing between the orchestrator and them can be down while it runs;"
                + " its state file is read only at attach";
    }

    /**
     * The case means a leader and a follower (two daemons) driving one backend. The process backend
     * cannot run as several daemons: the second daemon on a data directory is refused
     * (DataDirectoryLock, see DataDirectoryLockTest), and two orchestrators inside one engine each
     * get a directory of their own (orchestrators/NAME), so no configuration has two instances
     * driving the same processes.
     */
    @Override
    protected String whyTwoInstancesCannotShareTheBackend() {
        return "no configuration has two instances over the same processes: a second daemon on the same data directory is"
                + " refused (DataDirectoryLock), and two process orchestrators in one daemon each own a directory of their own;"
                + " the replicas are one instance's child processes, adopted by another only at attach, from the state file";
    }

    @Override
    protected Duration readinessTimeout() {
        return Duration.ofSeconds(60);
    }

    private ProcessFixture fixture() {
        return requireNonNull(fixture, "fixture");
    }
}
