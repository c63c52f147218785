package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 3 to 1 under steady load through the gateway, with the docker orchestrator against Podman (the
 * container counterpart of ChosenDrainIT): the engine drains two replicas, the gateway sends them
 * nothing new and lets their requests finish, and only then are exactly those two containers told
 * to stop. Every request succeeds, and each stopped container's own log says it had 0 requests
 * in flight at SIGTERM.
 *
 * <p>The replicas are the project's busybox test image: httpd with a CGI script that marks itself
 * in flight for 300 ms (its header lines end in CRLF: the gateway refuses bare LF as malformed),
 * and a shell as PID 1 that counts the marks when SIGTERM arrives. The group
 * keeps its 2 stopped containers ({@code keep-stopped: 2}) so their logs can be read afterwards.
 */
class DockerChosenDrainIT {
    private static final Pattern REPLICA = Pattern.compile("ok from (\\S+)");
    private static final Pattern STOPPING = Pattern.compile("stopping with (\\d+) request\\(s\\) in flight");
    private static final int CLIENTS = 6;
    /** PID 1 of each replica: writes the CGI, runs httpd, and on SIGTERM logs how many requests are in flight. */
    private static final String REPLICA_SCRIPT = """
            busybox mkdir -p /www/cgi-bin /tmp/inflight
            echo '#!/bin/sh' > /www/cgi-bin/work
            echo 'busybox touch /tmp/inflight/$$' >> /www/cgi-bin/work
            echo 'busybox sleep 0.3' >> /www/cgi-bin/work
            echo 'busybox rm -f /tmp/inflight/$$' >> /www/cgi-bin/work
            echo 'busybox printf "Content-Type: text/plain\\r\\n\\r\\nok from %s\\n" "$(busybox hostname)"' >> /www/cgi-bin/work
            busybox chmod +x /www/cgi-bin/work
            httpd -f -p 80 -h /www &
            trap 'echo "stopping with $(busybox ls /tmp/inflight | busybox wc -l) request(s) in flight"; kill $!; exit 0' TERM
            wait
            """;

    @TempDir
    Path data;

    private final String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final String label = "io.zeroscale.group=containers/ContainerGroup/drain-" + suffix;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Set<String> replicas = ConcurrentHashMap.newKeySet();
    private Daemon daemon;
    private ApiClient api;

    @BeforeEach
    void requirePodman() {
        Podman.require();
    }

    @AfterEach
    void cleanUp() {
        if (api != null) {
            api.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
        // The daemon leaves containers as they are; the test must not.
        Podman.removeAll(label);
        client.close();
    }

    @Test
    void threeToOneUnderLoadFailsNoRequestAndStopsOnlyIdleContainers() throws Exception {
        Path config = data.resolve("zeroscale.yaml");
        StringBuilder script = new StringBuilder();
        REPLICA_SCRIPT.lines().forEach(line -> script.append("        ").append(line).append('\n'));
        Files.writeString(config, """
                orchestrators:
                  containers: { type: docker, host: unix:///run/podman/podman.sock }
                gateway: { listen: 127.0.0.1:0 }
                api: { listen: 127.0.0.1:0 }
                data-dir: %s
                targets:
                  web:
                    orchestrator: containers
                    workload:
                      kind: ContainerGroup
                      name: drain-%s
                      image: localhost/zeroscale/busybox:test
                      port: 80
                      stop-grace: 5s
                      keep-stopped: 2
                      readiness: { http: /index.html }
                      command: |
                %s    route: { path: / }
                    policy: { idle: 10m, replicas: { min: 0, max: 3 } }
                """.formatted(data, suffix, script), UTF_8);
        daemon = Daemon.create(ConfigLoader.fromEnvironment().load(config, Map.of()), Distribution.loadPlugins()).start();
        String gateway = "http://127.0.0.1:" + daemon.gatewayPort();
        api = new ApiClient(daemon.apiPort(), daemon.gatewayPort());
        HttpResponse<String> first = send(gateway + "/cgi-bin/work");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        daemon.zeroscale().engine().setOverride("web", 3, null, "DockerChosenDrainIT");
        await().atMost(Duration.ofSeconds(60)).until(() -> api.target("web").path("replicas").path("ready").asInt() == 3);

        // Each request takes 300 ms in the container: a removed replica would be caught mid-request.
        // Bounded: stops when the test says so, or after 5 000 requests per client.
        SteadyLoad load = SteadyLoad.start(CLIENTS, 5_000, n -> send(gateway + "/cgi-bin/work"));
        List<String> failures;
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> replicas.size() == 3);
            load.awaitMore(30, Duration.ofSeconds(60));

            daemon.zeroscale().engine().setOverride("web", 1, null, "DockerChosenDrainIT");
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                JsonNode counts = api.target("web").path("replicas");
                return counts.path("observed").asInt() == 1 && counts.path("backendDesired").asInt() == 1;
            });
            await().atMost(Duration.ofSeconds(60)).until(() -> Podman.containers(label).stream()
                    .filter(container -> container.state().equals("exited")).count() == 2);
            // Answered by the one replica left.
            load.awaitMore(20, Duration.ofSeconds(60));
        } finally {
            failures = load.stop();
        }
        System.out.printf("DockerChosenDrainIT: %d requests answered, %d failed, containers %s%n", load.ok(), failures.size(),
                Podman.containers(label));

        List<Integer> inFlightAtStop = new ArrayList<>();
        for (Podman.Container container : Podman.containers(label)) {
            if (!container.state().equals("exited")) {
                continue;
            }
            Matcher stopping = STOPPING.matcher(Podman.podman("logs", container.id()).output());
            while (stopping.find()) {
                inFlightAtStop.add(Integer.parseInt(stopping.group(1)));
            }
        }
        System.out.printf("DockerChosenDrainIT: in flight at SIGTERM per removed container: %s%n", inFlightAtStop);
        // The gateway retries a safe request a dying replica refused, so the clients alone cannot
        // tell; each container's own log shows whether it was stopped with requests in flight.
        assertThat(inFlightAtStop).as("in-flight requests each removed container logged at SIGTERM").containsExactly(0, 0);
        assertThat(api.journalMessages("web")).anyMatch(message -> message.startsWith("draining [") && message.contains("to go down to 1"));
        assertThat(failures).as("failed requests during 3 -> 1 under load").isEmpty();
        assertThat(Podman.containers(label).stream().filter(container -> container.state().equals("running"))).hasSize(1);
    }

    private HttpResponse<String> send(String url) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher matcher = REPLICA.matcher(response.body());
        if (matcher.find()) {
            replicas.add(matcher.group(1));
        }
        return response;
    }
}
