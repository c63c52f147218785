package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.daemon.it.LeftoverProcesses;
import io.zeroscale.daemon.it.SteadyLoad;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config reload while traffic flows to another target, through the real gateway with the
 * quickstart backend run by the process orchestrator: the target that stays sees no failed
 * request; the removed one's route answers 404 with one line and its process keeps running; an
 * invalid file changes nothing and says why, every problem at once.
 */
class ConfigReloadIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PID = Pattern.compile("pid (\\d+)");
    private static final int CLIENTS = 4;

    @TempDir
    Path data;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Daemon daemon;
    private Path file;

    private static String target(String name) {
        Path backend = Path.of(System.getProperty("zeroscale.quickstart", "../samples/quickstart")).resolve("backend/Backend.java")
                .toAbsolutePath().normalize();
        return """
                  %s:
                    orchestrator: local
                    workload:
                      kind: Process
                      command: [java, -XX:TieredStopAtLevel=1, "%s"]
                      env: { LOAD_SECONDS: "0" }
                      readiness: { http: /health }
                    route: { path: /%s }
                    policy: { automaton: zero-to-n, idle: 10m, wake-timeout: 1m, replicas: { min: 0, max: 1 } }
                """.formatted(name, backend, name);
    }

    private String config(String gatewayListen, String... targets) {
        return """
                data-dir: %s
                orchestrators:
                  local: { type: process }
                gateway: { listen: "%s" }
                api: { listen: 127.0.0.1:0 }
                targets:
                """.formatted(data.resolve("state"), gatewayListen) + String.join("", targets);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        // The daemon leaves workloads running on purpose (a removed target's too); the test must not.
        DaemonConfig all = ConfigLoader.fromEnvironment().parse(config("127.0.0.1:0", target("stay"), target("gone"), target("fresh")),
                "all.yaml", data, Map.of());
        LeftoverProcesses.stop(data.resolve("state"), all.targets());
        client.close();
    }

    @Test
    void reloadWhileTrafficFlowsFailsNoRequestOfAnotherTarget() throws Exception {
        file = data.resolve("zeroscale.yaml");
        Files.writeString(file, config("127.0.0.1:0", target("stay"), target("gone")));
        daemon = Daemon.create(ConfigLoader.fromEnvironment().load(file, Map.of()), Plugins.load(null))
                .reloadFrom(file, Map.of()).start();
        String gateway = "http://127.0.0.1:" + daemon.gatewayPort();
        String api = "http://127.0.0.1:" + daemon.apiPort();
        assertThat(send(gateway + "/stay").statusCode()).isEqualTo(200);
        HttpResponse<String> goneAnswer = send(gateway + "/gone");
        assertThat(goneAnswer.statusCode()).isEqualTo(200);
        Matcher pid = PID.matcher(goneAnswer.body());
        assertThat(pid.find()).isTrue();
        long gonePid = Long.parseLong(pid.group(1));

        // Bounded: stops when the test says so, or after 20 000 requests per client.
        SteadyLoad load = SteadyLoad.start(CLIENTS, 20_000, n -> send(gateway + "/stay/" + n));
        List<String> failures;
        try {
            load.awaitMore(50, Duration.ofSeconds(30));

            // An invalid file: refused with every problem, and nothing changes.
            Files.writeString(file, config("127.0.0.1:1", target("stay"), target("gone").replace("zero-to-n", "zero-to-m"),
                    target("fresh").replace("orchestrator: local", "orchestrator: locl")));
            HttpResponse<String> refused = post(api + "/config/reload", "{}");
            assertThat(refused.statusCode()).isEqualTo(422);
            JsonNode problems = JSON.readTree(refused.body()).path("problems");
            assertThat(problems.toString())
                    .contains("gateway.listen: changed from 127.0.0.1:0 to 127.0.0.1:1, which a reload cannot apply (restart needed)")
                    .contains("targets.gone.policy.automaton: unknown automaton 'zero-to-m'")
                    .contains("targets.fresh.orchestrator: no orchestrator named 'locl'");
            assertThat(names(get(api + "/targets"))).containsExactly("stay", "gone");
            assertThat(send(gateway + "/gone").statusCode()).isEqualTo(200);

            // A valid file, picked up by the file watch: gone is removed, fresh is added.
            Files.writeString(file, config("127.0.0.1:0", target("stay"), target("fresh")));
            await().atMost(Duration.ofSeconds(30)).until(() -> names(get(api + "/targets")).equals(List.of("stay", "fresh")));

            HttpResponse<String> gone = send(gateway + "/gone");
            assertThat(gone.statusCode()).isEqualTo(404);
            assertThat(gone.body().strip()).isEqualTo("no route for host '127.0.0.1:" + daemon.gatewayPort() + "' and path '/gone'");
            assertThat(ProcessHandle.of(gonePid).filter(ProcessHandle::isAlive)).as("the removed target's process keeps running")
                    .isPresent();
            // Listed means routed: the registry swaps the routes in before the engine lists the target.
            HttpResponse<String> fresh = send(gateway + "/fresh");
            assertThat(fresh.statusCode()).as("the added target wakes on its first request").isEqualTo(200);

            // Asked again with nothing changed: nothing happens.
            HttpResponse<String> same = post(api + "/config/reload", "{}");
            assertThat(same.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(same.body()).toString()).isEqualTo("{\"added\":[],\"updated\":[],\"removed\":[]}");

            load.awaitMore(50, Duration.ofSeconds(30));
        } finally {
            failures = load.stop();
        }
        System.out.printf("ConfigReloadIT: %d requests to the target that stayed, %d failed%n", load.ok(), failures.size());
        assertThat(failures).as("failed requests to the target that stayed").isEmpty();
        List<String> journal = new ArrayList<>();
        get(api + "/journal?limit=1000").forEach(entry -> {
            if (entry.path("kind").asText().equals("CONFIG")) {
                journal.add(entry.path("target").asText() + ": " + entry.path("message").asText());
            }
        });
        assertThat(journal).anyMatch(line -> line.startsWith("gone: removed (config reload: config file changed): the workload is left as it is"))
                .anyMatch(line -> line.startsWith("fresh: added (config reload: config file changed)"));
        // The removed target's process is still the one it was; stop it with the clean-up.
        assertThat(ProcessHandle.of(gonePid).filter(ProcessHandle::isAlive)).isPresent();
        assertThat(daemon.zeroscale().engine().spec("gone")).isEmpty();
    }

    private static List<String> names(JsonNode targets) {
        List<String> out = new ArrayList<>();
        targets.forEach(target -> out.add(target.path("name").asText()));
        return out;
    }

    private HttpResponse<String> send(String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String url) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
