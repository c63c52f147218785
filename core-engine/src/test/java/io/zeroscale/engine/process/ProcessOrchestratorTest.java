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

    /** The engine holds a lock on its data directory so that no second one adopts its processes. */
    @Override
    protected String whyTwoInstancesCannotShareTheBackend() {
        return "one engine per data directory (DataDirectoryLock): the replicas are one instance's child processes,"
                + " which a second instance adopts only at attach, from the state file";
    }

    @Override
    protected Duration readinessTimeout() {
        return Duration.ofSeconds(60);
    }

    private ProcessFixture fixture() {
        return requireNonNull(fixture, "fixture");
    }
}
