package io.zeroscale.engine.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Runs process orchestrators over one data directory and the {@link TestBackend} as their
 * workload. Every backend it launches carries a marker of this fixture on its command line, so
 * {@link #close()} can prove that none is left running, even one whose parent died, without
 * mistaking another test run's processes for its own.
 */
final class ProcessFixture implements AutoCloseable {
    private final String id = UUID.randomUUID().toString();
    private final String marker = marker(id);
    private final Path dataDirectory;
    private final TestPluginContext context;
    private final List<ProcessOrchestrator> orchestrators = new ArrayList<>();

    ProcessFixture(Path dataDirectory) {
        this.dataDirectory = dataDirectory;
        this.context = TestPluginContext.realTime(dataDirectory);
    }

    Path dataDirectory() {
        return dataDirectory;
    }

    TestPluginContext context() {
        return context;
    }

    /** A new orchestrator named {@code local} over this fixture's data directory. */
    ProcessOrchestrator newOrchestrator() {
        ProcessOrchestrator orchestrator = new ProcessOrchestratorFactory()
                .create("local", Config.of("orchestrators.local", Map.of("type", "process")), context);
        orchestrators.add(orchestrator);
        return orchestrator;
    }

    /** A new orchestrator named {@code local} that starts replicas with {@code groups}. */
    ProcessOrchestrator newOrchestrator(ProcessGroups groups) {
        ProcessOrchestrator orchestrator = new ProcessOrchestrator("local", "127.0.0.1", context, groups);
        orchestrators.add(orchestrator);
        return orchestrator;
    }

    /** Identifies this fixture's backends; {@link #backendCommandOf(String, String...)} takes it. */
    String id() {
        return id;
    }

    /** The command line that runs {@link TestBackend} with {@code args} in a new JVM. */
    List<String> backendCommand(String... args) {
        return backendCommandOf(id, args);
    }

    /** The command line of a backend of the fixture {@code id}, for another JVM to run. */
    static List<String> backendCommandOf(String id, String... args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                marker(id),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                TestBackend.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Settings that run the backend with an HTTP probe on /health every 50ms. */
    Map<String, Object> backendSettings() {
        return backendSettings(id);
    }

    static Map<String, Object> backendSettings(String id) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("command", backendCommandOf(id));
        settings.put("readiness", Map.of("http", "/health", "interval", "50ms"));
        settings.put("stop-grace", "5s");
        return settings;
    }

    /** The workload {@code local/Process/name} with {@code settings} at {@code targets.name.workload}. */
    static Workload workload(String name, Map<String, ?> settings) {
        return new Workload(
                TargetRef.of("local", "Process", name), Config.of("targets." + name + ".workload", settings));
    }

    private static String marker(String id) {
        return "-Dzeroscale.test.fixture=" + id;
    }

    /** The live backends this fixture launched. */
    List<ProcessHandle> backends() {
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(process -> process.info().commandLine().orElse("").contains(marker)
                        || process.info().arguments().map(args -> List.of(args).contains(marker)).orElse(false))
                .toList();
    }

    void assertNoBackendLeft() {
        await("no backend process left running")
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(backends()).as("live backend processes").isEmpty());
    }

    /** Stops everything the orchestrators run, closes them and asserts no backend is left. */
    @Override
    public void close() {
        try {
            for (ProcessOrchestrator orchestrator : orchestrators) {
                orchestrator.stopAll();
            }
            for (ProcessOrchestrator orchestrator : orchestrators) {
                orchestrator.close();
            }
            context.close();
            assertNoBackendLeft();
        } finally {
            // Never leak a process into the next test, even when the assertion above failed.
            backends().forEach(ProcessHandle::destroyForcibly);
        }
    }
}
