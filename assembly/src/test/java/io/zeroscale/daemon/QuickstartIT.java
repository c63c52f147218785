package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.daemon.it.ApiClient;
import io.zeroscale.daemon.it.LeftoverProcesses;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart end to end: the daemon with samples/quickstart/zeroscale.yaml on free ports, a
 * real backend process behind the gateway, the journal read through the REST API, scale to zero
 * when idle, and a clean shutdown that leaves the workload running.
 */
class QuickstartIT {
    private static final Pattern PID = Pattern.compile("pid (\\d+)");

    @TempDir
    Path data;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Long> backendPids = new ArrayList<>();
    private Daemon daemon;
    private ApiClient api;

    private static Path quickstart() {
        Path configured = Path.of(System.getProperty("zeroscale.quickstart", "../samples/quickstart"));
        Path config = configured.resolve("zeroscale.yaml");
        assertThat(config).as("the quickstart config").exists();
        return config;
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        if (api != null) {
            api.close();
        }
        // The daemon leaves workloads running on purpose; the test must not. Adopt what the state
        // file lists, as the next daemon would, and stop it.
        LeftoverProcesses.stop(data, load(Map.of()).targets());
        for (long pid : backendPids) {
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("backend pid %d after clean-up", pid).isEmpty();
        }
        client.close();
    }

    private DaemonConfig load(Map<String, String> extra) {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("gateway.listen", "127.0.0.1:0");
        overrides.put("api.listen", "127.0.0.1:0");
        overrides.put("data-dir", data.toString());
        overrides.put("targets.hello.workload.env.LOAD_SECONDS", "1");
        overrides.putAll(extra);
        return ConfigLoader.fromEnvironment().load(quickstart(), overrides);
    }

    @Test
    void theFirstRequestWakesTheBackendIdleStopsItAndShutdownLeavesItRunning() throws Exception {
        daemon = Daemon.create(load(Map.of("targets.hello.policy.idle", "3s")), Plugins.load(null)).start();
        String gateway = "http://127.0.0.1:" + daemon.gatewayPort();
        api = new ApiClient(daemon.apiPort(), daemon.gatewayPort());
        assertThat(api.target("hello").path("state").asText()).isEqualTo("ZERO");

        HttpResponse<String> first = client.send(HttpRequest.newBuilder(URI.create(gateway + "/")).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).startsWith("hello from the backend (pid ").endsWith("model loaded in 1.0s: GET /\n");
        long pid = pid(first.body());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).hasValue(true);

        JsonNode hello = api.target("hello");
        assertThat(hello.path("state").asText()).isEqualTo("ACTIVE");
        assertThat(hello.path("replicas").path("ready").asInt()).isEqualTo(1);
        assertThat(api.states("hello")).containsSubsequence("ZERO", "WAKING", "ACTIVE");

        // Idle for 3s: drained, scaled to zero, the backend process is gone.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(api.states("hello")).containsSubsequence("ACTIVE", "DRAINING", "ZERO"));
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty());
        assertThat(api.journalMessages("hello")).anyMatch(message -> message.startsWith("DRAINING -> ZERO"));

        // Wake it again, then shut the daemon down: the workload stays as it is.
        HttpResponse<String> second = client.send(HttpRequest.newBuilder(URI.create(gateway + "/again")).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(second.statusCode()).isEqualTo(200);
        long secondPid = pid(second.body());

        // A request in flight when shutdown starts is drained, not cut.
        java.util.concurrent.CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                HttpRequest.newBuilder(URI.create(gateway + "/slow?seconds=2")).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(30)).until(() -> api.target("hello").path("requests").path("inFlight").asInt() == 1);
        daemon.stop();
        assertThat(slow.get().statusCode()).isEqualTo(200);
        assertThat(slow.get().body()).contains("GET /slow?seconds=2");
        assertThat(ProcessHandle.of(secondPid).map(ProcessHandle::isAlive)).as("the backend after shutdown").hasValue(true);
        assertThat(Files.readString(data.resolve("orchestrators/local").resolve(Files.list(data.resolve("orchestrators/local"))
                .filter(file -> file.toString().endsWith(".json")).findFirst().orElseThrow().getFileName())))
                .contains(Long.toString(secondPid));
    }

    private long pid(String body) {
        Matcher matcher = PID.matcher(body);
        assertThat(matcher.find()).as("a pid in %s", body).isTrue();
        long pid = Long.parseLong(matcher.group(1));
        backendPids.add(pid);
        return pid;
    }
}
