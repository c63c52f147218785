package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process that cannot start (it prints a line and exits with status 3 while its model file is
 * missing), through the real daemon, gateway and process orchestrator: the first request gets 503
 * with the reason and Retry-After within seconds, restarts back off, and once the file appears the
 * first request after the backoff wakes it and the backoff is reset.
 */
class ProcessCrashLoopIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Daemon daemon;
    private ApiClient api;

    @AfterEach
    void cleanUp() throws Exception {
        if (api != null) {
            api.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
        // The daemon leaves replicas running on shutdown; the test must not: kill what the state file lists.
        Path states = work.resolve("data/orchestrators/local");
        if (Files.isDirectory(states)) {
            try (Stream<Path> files = Files.list(states)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                    for (JsonNode replica : JSON.readTree(file.toFile()).path("replicas")) {
                        ProcessHandle.of(replica.path("pid").asLong()).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            }
        }
        http.close();
    }

    @Test
    void aCommandThatExitsWithStatus3IsAnsweredWithItsReasonBacksOffAndWakesOnceFixed() throws Exception {
        Path busybox = Path.of("/bin/busybox");
        assertThat(busybox).as("busybox serves the fixed backend; install it with: apt-get install -y busybox-static").isExecutable();
        Path model = work.resolve("model.bin");
        Path starts = work.resolve("starts.log");
        Files.createDirectories(work.resolve("www"));
        Files.writeString(work.resolve("www/index.html"), "model served\n", UTF_8);
        Path config = work.resolve("zeroscale.yaml");
        Files.writeString(config, """
                orchestrators:
                  local: { type: process }
                gateway: { listen: 127.0.0.1:0 }
                api: { listen: 127.0.0.1:0 }
                data-dir: %s
                targets:
                  model:
                    orchestrator: local
                    workload:
                      kind: Process
                      command: [sh, -c, 'echo start >> %s; [ -f %s ] && exec %s httpd -f -p 127.0.0.1:$PORT -h %s; echo "model file missing: %s"; exit 3']
                      readiness: { tcp: true }
                      stop-grace: 1s
                    route: { path: / }
                    policy: { wake-timeout: 2m, idle: 5m }
                """.formatted(work.resolve("data"), starts, model, busybox, work.resolve("www"), model), UTF_8);
        DaemonConfig loaded = ConfigLoader.fromEnvironment().load(config, Map.of());
        daemon = Daemon.create(loaded, Plugins.load(null)).start();
        api = new ApiClient(daemon.apiPort(), daemon.gatewayPort());

        // Within 5 s: two starts a second apart both exit, the policy gives up and says why.
        HttpResponse<String> first = request(Duration.ofSeconds(5));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(503);
        assertThat(first.body()).startsWith("target model cannot start: replica 127.0.0.1:")
                .contains("exited with status 3 before it was ready", "last output: model file missing: " + model)
                .contains("2 failed starts in a row");
        long retryAfter = Long.parseLong(first.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 2L);
        JsonNode failures = api.target("model").path("startFailures");
        assertThat(failures.path("failuresInARow").asInt()).isEqualTo(2);
        assertThat(failures.path("gaveUp").asBoolean()).isTrue();
        assertThat(failures.path("backingOff").asBoolean()).isTrue();
        assertThat(api.target("model").path("state").asText()).isEqualTo("ZERO");

        // A client that insists for 8 s: refused at once during each backoff (2 s, then 4 s), one
        // start after each; without backoff this made dozens of starts.
        long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        int answered = 0;
        while (System.nanoTime() < until) {
            HttpResponse<String> again = request(Duration.ofSeconds(5));
            assertThat(again.statusCode()).as(again.body()).isEqualTo(503);
            assertThat(again.body()).contains("status 3", "model file missing");
            answered++;
            Thread.sleep(200);
        }
        assertThat(answered).as("answered at once, not after a wake timeout").isGreaterThan(10);
        assertThat(Files.readAllLines(starts)).hasSizeBetween(3, 4);

        // The model file appears: the first request after the current backoff wakes the target.
        Files.writeString(model, "weights", UTF_8);
        HttpResponse<String> refused = request(Duration.ofSeconds(5));
        if (refused.statusCode() == 503) {
            Thread.sleep(Duration.ofSeconds(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())));
        }
        HttpResponse<String> woken = request(Duration.ofSeconds(30));
        assertThat(woken.statusCode()).as(woken.body()).isEqualTo(200);
        assertThat(woken.body()).isEqualTo("model served\n");
        JsonNode model1 = api.target("model");
        assertThat(model1.path("state").asText()).isEqualTo("ACTIVE");
        assertThat(model1.path("startFailures").isNull()).as("backoff reset: %s", model1).isTrue();

        List<JsonNode> streaks = api.journal("model").stream().filter(entry -> entry.path("kind").asText().equals("START_FAILURES")).toList();
        assertThat(streaks).as(api.journalText("model")).hasSize(1);
        assertThat(streaks.getFirst().path("message").asText())
                .contains("replicas failed in a row", "first: replica 127.0.0.1:", "exited with status 3", "model file missing")
                .endsWith("ended: a replica became ready; backoff reset");
        assertThat(api.journal("model")).filteredOn(entry -> entry.path("kind").asText().equals("ALERT")).hasSize(1);
    }

    private HttpResponse<String> request(Duration timeout) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.gatewayPort() + "/")).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
