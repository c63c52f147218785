package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real daemon restarted on its data-dir: an operator's override and automation pause hold, the
 * journal lists entries from before; and while it runs, a second daemon on the same data-dir is
 * refused with one line naming the directory and the running one's pid, before it touches anything.
 */
class DaemonRestartIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path directory;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Daemon> daemons = new ArrayList<>();

    private Path config() throws Exception {
        Path backend = Path.of(System.getProperty("zeroscale.quickstart", "../samples/quickstart")).resolve("backend/Backend.java")
                .toAbsolutePath().normalize();
        Path file = directory.resolve("zeroscale.yaml");
        Files.writeString(file, """
                data-dir: data
                orchestrators:
                  local: { type: process }
                gateway: { listen: "127.0.0.1:0", id: restart-it }
                api: { listen: 127.0.0.1:0 }
                targets:
                  hello:
                    orchestrator: local
                    workload:
                      kind: Process
                      command: [java, "%s"]
                      readiness: { http: /health }
                    route: { path: / }
                    policy: { automaton: zero-to-n, idle: 10m, replicas: { min: 0, max: 2 } }
                """.formatted(backend));
        return file;
    }

    private Daemon start(Path file) {
        Daemon daemon = Daemon.create(ConfigLoader.fromEnvironment().load(file, Map.of()), Plugins.load(null));
        daemons.add(daemon);
        return daemon.start();
    }

    @AfterEach
    void stop() {
        daemons.forEach(Daemon::stop);
        client.close();
    }

    @Test
    void overrideAndPauseHoldAcrossARestartAndTheJournalKeepsItsEntries() throws Exception {
        Path file = config();
        Daemon first = start(file);
        String api = "http://127.0.0.1:" + first.apiPort();
        // Zero replicas pinned: nothing starts, so the test leaves no process behind.
        assertThat(send("PUT", api + "/targets/hello/override", "{\"replicas\": 0, \"expiry\": \"2h\"}").statusCode()).isEqualTo(200);
        assertThat(send("POST", api + "/targets/hello/automation", "{\"action\": \"pause\"}").statusCode()).isEqualTo(200);
        // The target's actor applies both a moment after the calls answer: its status shows them then.
        JsonNode before = await().atMost(Duration.ofSeconds(30)).until(() -> JSON.readTree(send("GET", api + "/targets/hello", null).body()),
                status -> status.path("automationPaused").asBoolean() && !status.path("override").path("until").asText().isEmpty());
        String until = before.path("override").path("until").asText();
        assertThat(until).isNotEmpty();

        Path dataDir = directory.resolve("data").toAbsolutePath().normalize();
        assertThatThrownBy(() -> start(file))
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.DATA_DIRECTORY_IN_USE))
                .hasMessageStartingWith("data-dir " + dataDir + " is in use by another zeroscale (pid " + ProcessHandle.current().pid()
                        + " on ")
                .hasMessageEndingWith("lock " + dataDir.resolve("zeroscale.lock") + "); stop that one first, or give this one another"
                        + " data-dir")
                .hasMessageNotContaining("\n");
        daemons.removeLast();
        assertThat(first.zeroscale().statuses()).as("the running daemon is untouched").hasSize(1);

        first.stop();
        assertThat(dataDir.resolve("state/targets/hello.json")).exists();

        Daemon second = start(file);
        String api2 = "http://127.0.0.1:" + second.apiPort();
        JsonNode after = JSON.readTree(send("GET", api2 + "/targets/hello", null).body());
        assertThat(after.path("automationPaused").asBoolean()).as("pause held").isTrue();
        assertThat(after.path("override").path("replicas").asInt(-1)).as("override held").isZero();
        assertThat(after.path("override").path("until").asText()).isEqualTo(until);

        JsonNode journal = JSON.readTree(send("GET", api2 + "/journal?target=hello&limit=1000", null).body());
        List<String> messages = new ArrayList<>();
        journal.forEach(entry -> messages.add(entry.path("message").asText()));
        assertThat(messages).as("entries from before the restart, and the restore")
                .anyMatch(message -> message.startsWith("manual override to 0 replicas by "))
                .anyMatch(message -> message.startsWith("automation paused by "))
                .anyMatch(message -> message.startsWith("restored from " + dataDir.resolve("state/targets/hello.json")
                        + ": automation paused, manual override to 0 replicas until " + until));
    }

    private HttpResponse<String> send(String method, String url, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
