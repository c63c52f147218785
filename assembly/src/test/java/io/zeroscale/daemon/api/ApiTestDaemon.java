package io.zeroscale.daemon.api;

import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.Map;

/**
 * The real daemon the API tests talk to: the process orchestrator and one target, {@code hello},
 * that no test wakes (nothing is sent through the gateway), so no workload is ever started.
 */
final class ApiTestDaemon {
    private final Daemon daemon;
    private final HttpClient client = HttpClient.newHttpClient();

    private ApiTestDaemon(Daemon daemon) {
        this.daemon = daemon;
    }

    /**
     * Starts it with {@code api} appended to {@code api: { listen: 127.0.0.1:0 ... }} (e.g.
     * {@code , token: "${API_TOKEN}"}) and {@code environment} for the config's {@code ${...}}.
     */
    static ApiTestDaemon start(Path data, String api, Map<String, String> environment) {
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
        return new ApiTestDaemon(Daemon.create(config, Plugins.load(null)).start());
    }

    Daemon daemon() {
        return daemon;
    }

    /** A client for the test's requests; closed by {@link #stop()}. */
    HttpClient client() {
        return client;
    }

    /** The API's base URL, e.g. {@code http://127.0.0.1:41234}. */
    String base() {
        return "http://127.0.0.1:" + daemon.apiPort();
    }

    void stop() {
        daemon.stop();
        client.close();
    }
}
