package io.zeroscale.daemon.it;

import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.TargetSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A daemon an integration test starts from YAML, and stops with what it left behind: {@link
 * #stop()} stops the daemon, then the process workloads it left running on purpose (see {@link
 * LeftoverProcesses}).
 */
public final class TestDaemon {
    private final Daemon daemon;
    private final DaemonConfig config;
    private final Path data;

    private TestDaemon(Daemon daemon, DaemonConfig config, Path data) {
        this.daemon = daemon;
        this.config = config;
        this.data = data;
    }

    /**
     * A config with the process orchestrator {@code local}, the gateway and the API on free ports,
     * and one target {@code name} routed at {@code /}: a process running {@code command} (a YAML
     * list's items), ready once its port accepts (probed every 50 ms while it starts), with {@code
     * workload} added to its workload (YAML lines at the workload's indentation, or empty) and
     * {@code policy} inside its zero-to-n policy's map (e.g. {@code idle: 1s, replicas: { min: 0, max: 1 }}).
     */
    public static String processTarget(String name, String command, String workload, String policy) {
        StringBuilder extra = new StringBuilder();
        workload.lines().forEach(line -> extra.append("      ").append(line.strip()).append('\n'));
        return """
                orchestrators:
                  local: { type: process }
                gateway: { listen: 127.0.0.1:0 }
                api: { listen: 127.0.0.1:0 }
                targets:
                  %s:
                    orchestrator: local
                    workload:
                      kind: Process
                      command: [%s]
                      readiness: { tcp: true, startup-interval: 50ms }
                %s    route: { path: / }
                    policy: { automaton: zero-to-n, %s }
                """.formatted(name, command, extra, policy);
    }

    /** Starts a daemon from {@code yaml} with {@code data} as its data-dir. */
    public static TestDaemon start(String yaml, Path data) {
        return start(yaml, data, Map.of());
    }

    /**
     * Starts a daemon from {@code yaml} with {@code data} as its data-dir and {@code overrides}
     * ({@code dotted.path -> YAML value}, as the CLI's {@code --set}) applied.
     */
    public static TestDaemon start(String yaml, Path data, Map<String, String> overrides) {
        return start(yaml, data, overrides, Plugins.load(null));
    }

    /** As {@link #start(String, Path, Map)}, with {@code plugins} (e.g. from a plugins/ folder). */
    public static TestDaemon start(String yaml, Path data, Map<String, String> overrides, Plugins plugins) {
        Map<String, String> all = new LinkedHashMap<>(overrides);
        all.put("data-dir", data.toString());
        return start(new ConfigLoader(Map.<String, String>of()::get).parse(yaml, "test.yaml", data, all), data, plugins);
    }

    /**
     * Starts a daemon from the config file {@code file} (read as {@code zeroscale run} reads it,
     * with the environment) on free loopback ports, with {@code data} as its data-dir and {@code
     * overrides} applied.
     */
    public static TestDaemon start(Path file, Path data, Map<String, String> overrides) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("gateway.listen", "127.0.0.1:0");
        all.put("api.listen", "127.0.0.1:0");
        all.putAll(overrides);
        all.put("data-dir", data.toString());
        return start(ConfigLoader.fromEnvironment().load(file, all), data, Plugins.load(null));
    }

    private static TestDaemon start(DaemonConfig config, Path data, Plugins plugins) {
        return new TestDaemon(Daemon.create(config, plugins).start(), config, data);
    }

    public Daemon daemon() {
        return daemon;
    }

    public DaemonConfig config() {
        return config;
    }

    public int gatewayPort() {
        return daemon.gatewayPort();
    }

    public int apiPort() {
        return daemon.apiPort();
    }

    /** Stops the daemon (idempotent), then the process workloads it left running (see {@link LeftoverProcesses}). */
    public void stop() throws Exception {
        try {
            daemon.stop();
        } finally {
            // The daemon leaves workloads running on purpose; the test must not.
            List<TargetSpec> processes = config.targets().stream()
                    .filter(target -> target.ref().orchestrator().equals("local") && target.ref().kind().equals("Process")).toList();
            if (!processes.isEmpty()) {
                LeftoverProcesses.stop(data, processes);
            }
        }
    }
}
