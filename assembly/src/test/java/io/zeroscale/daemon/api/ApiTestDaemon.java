package io.zeroscale.daemon.api;

import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * The real daemon the API tests talk to: the process orchestrator and one target, {@code hello},
 * that no test wakes (nothing is sent through the gateway), so no workload is ever started.
 */
final class ApiTestDaemon {
    private ApiTestDaemon() {}

    /**
     * Starts it with {@code api} appended to {@code api: { listen: 127.0.0.1:0 ... }} (e.g.
     * {@code , token: "${API_TOKEN}"}) and {@code environment} for the config's {@code ${...}}.
     */
    static Daemon start(Path data, String api, Map<String, String> environment) {
        String yaml = """
                orchestrators:
                  local: { type: process }
                gateway: { listen: 127.0.0.1:0 }
                api: { listen: 127.0.0.1:0%s }
                targets:
                  hello:
                    orchestrator: local
                    workload: { kind: Process, command: [java, Backend.java] }
                    route: { path: / }
                    policy: { idle: 30s, replicas: { min: 0, max: 2 } }
                """.formatted(api);
        DaemonConfig config = new ConfigLoader(environment::get).parse(yaml, "api-test.yaml", data, Map.of("data-dir", data.toString()));
        return Daemon.create(config, Plugins.load(null)).start();
    }
}
