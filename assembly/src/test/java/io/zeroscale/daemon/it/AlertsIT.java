package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.testkit.FreePorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts end to end: the daemon with the distribution's plugins/alerts, a real process target whose
 * command fails until a flag file exists, a loopback webhook receiver and a real Alertmanager
 * (Debian's prometheus-alertmanager, started here on a free port). A failed wake reaches both
 * exactly once; the next good wake resolves it in both.
 */
class AlertsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALERTMANAGER = "/usr/bin/prometheus-alertmanager";

    @TempDir
    Path work;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Bodies the daemon's webhook sink POSTed to /zeroscale. */
    private final List<JsonNode> webhook = new CopyOnWriteArrayList<>();
    /** Notifications Alertmanager itself sent to /alertmanager (its webhook receiver). */
    private final List<JsonNode> notified = new CopyOnWriteArrayList<>();
    private HttpServer receiver;
    private Process alertmanager;
    private Daemon daemon;
    private DaemonConfig config;

    @AfterEach
    void cleanUp() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        if (config != null) {
            // The daemon leaves workloads running on purpose; the test must not.
            LeftoverProcesses.stop(config.dataDirectory(), config.targets());
        }
        if (alertmanager != null) {
            alertmanager.destroy();
            if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) {
                alertmanager.destroyForcibly();
            }
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        client.close();
    }

    @Test
    void aFailedWakeAlertsOnceAndTheNextGoodWakeResolvesIt() throws Exception {
        startReceiver();
        int alertmanagerPort = startAlertmanager();
        Path flag = work.resolve("backend-may-start");
        Path backend = Path.of(System.getProperty("zeroscale.quickstart", "../samples/quickstart"), "backend", "Backend.java")
                .toAbsolutePath();
        assertThat(backend).exists();
        Path file = work.resolve("zeroscale.yaml");
        Files.writeString(file, """
                data-dir: data
                orchestrators:
                  local: { type: process }
                gateway: { listen: "127.0.0.1:0" }
                api: { listen: "127.0.0.1:0" }
                alerts:
                  wake-slow: 10m
                  sinks:
                    hook: { type: webhook, url: "http://127.0.0.1:%d/zeroscale" }
                    am: { type: alertmanager, url: "http://127.0.0.1:%d", labels: { team: shop } }
                targets:
                  shop:
                    orchestrator: local
                    workload:
                      kind: Process
                      # Fails at once until the flag file exists, then serves.
                      command: [sh, -c, 'test -f "$FLAG" || exit 3; exec "$JAVA" -XX:TieredStopAtLevel=1 "$BACKEND"']
                      env: { FLAG: "%s", BACKEND: "%s", JAVA: "%s", LOAD_SECONDS: "0" }
                      readiness: { http: /health }
                    route: { path: / }
                    policy:
                      automaton: zero-to-n
                      idle: 10m
                      wake-timeout: 40s
                      replicas: { min: 0, max: 1 }
                """.formatted(receiver.getAddress().getPort(), alertmanagerPort, flag, backend,
                        Path.of(System.getProperty("java.home"), "bin", "java")), UTF_8);
        config = ConfigLoader.fromEnvironment().load(file, Map.of());
        daemon = Daemon.create(config, Distribution.loadPlugins()).start();
        String gateway = "http://127.0.0.1:" + daemon.gatewayPort() + "/";

        // 1. The command fails: the policy gives up on the wake (crash-loop backoff), the held request
        //    is answered 503 with the reason at once, one alert.
        HttpResponse<String> failed = client.send(HttpRequest.newBuilder(URI.create(gateway)).timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(failed.statusCode()).as(failed.body()).isEqualTo(503);
        assertThat(failed.body()).contains("status 3");
        await().atMost(Duration.ofSeconds(30)).until(() -> wakeFailed(webhook).size() == 1);
        JsonNode firing = wakeFailed(webhook).getFirst();
        assertThat(firing.path("status").asText()).isEqualTo("firing");
        assertThat(firing.path("severity").asText()).isEqualTo("critical");
        assertThat(firing.path("summary").asText()).startsWith("wake of shop failed");
        assertThat(activeAlerts(alertmanagerPort)).as("Alertmanager's active alerts").hasSize(1).first()
                .satisfies(alert -> {
                    assertThat(alert.path("labels").path("target").asText()).isEqualTo("shop");
                    assertThat(alert.path("labels").path("team").asText()).isEqualTo("shop");
                    assertThat(alert.path("annotations").path("summary").asText()).isEqualTo(firing.path("summary").asText());
                });
        await().atMost(Duration.ofSeconds(30)).until(() -> !notifications("firing").isEmpty());

        // 2. The command works now: the next request wakes the target, which resolves the alert.
        //    Requests inside the current backoff are refused at once (503 + Retry-After), so retry as a
        //    client honouring Retry-After would.
        Files.writeString(flag, "go", UTF_8);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> client.send(
                HttpRequest.newBuilder(URI.create(gateway)).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        await().atMost(Duration.ofSeconds(30)).until(() -> wakeFailed(webhook).size() == 2);
        JsonNode resolved = wakeFailed(webhook).get(1);
        assertThat(resolved.path("status").asText()).isEqualTo("resolved");
        assertThat(resolved.path("key").asText()).isEqualTo(firing.path("key").asText());
        assertThat(resolved.path("startsAt").asText()).isEqualTo(firing.path("startsAt").asText());
        assertThat(resolved.has("endsAt")).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> activeAlerts(alertmanagerPort).isEmpty());
        await().atMost(Duration.ofSeconds(30)).until(() -> !notifications("resolved").isEmpty());

        // 3. Once: no second firing anywhere, a few group intervals later.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(wakeFailed(webhook)).extracting(body -> body.path("status").asText()).containsExactly("firing", "resolved");
            assertThat(notifications("firing")).as("Alertmanager's firing notifications").hasSize(1);
        });
    }

    private static List<JsonNode> wakeFailed(List<JsonNode> bodies) {
        return bodies.stream().filter(body -> body.path("kind").asText().equals("wake-failed")).toList();
    }

    /** Alertmanager's own notifications (status firing/resolved) that carry ZeroscaleWakeFailed. */
    private List<JsonNode> notifications(String status) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode notification : notified) {
            for (JsonNode alert : notification.path("alerts")) {
                if (alert.path("labels").path("alertname").asText().equals("ZeroscaleWakeFailed")
                        && alert.path("status").asText().equals(status)) {
                    out.add(alert);
                }
            }
        }
        return out;
    }

    private List<JsonNode> activeAlerts(int port) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v2/alerts?active=true&filter=alertname%3D%22ZeroscaleWakeFailed%22")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(response.body()).forEach(out::add);
        return out;
    }

    private void startReceiver() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", exchange -> {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            if (exchange.getRequestURI().getPath().equals("/zeroscale")) {
                webhook.add(body);
            } else {
                notified.add(body);
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
    }

    /** Starts Alertmanager on a free loopback port, routing every alert to the receiver's /alertmanager. */
    private int startAlertmanager() throws Exception {
        if (!Files.isExecutable(Path.of(ALERTMANAGER))) {
            fail(ALERTMANAGER + " is missing; install it with: apt-get install -y prometheus-alertmanager"
                    + " (or run ./scripts/test, whose scripts/peers.d/alertmanager.sh does)");
        }
        int port = FreePorts.next();
        Path amConfig = work.resolve("alertmanager.yml");
        Files.writeString(amConfig, """
                route:
                  receiver: test
                  group_by: [alertname, target]
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: test
                    webhook_configs:
                      - url: "http://127.0.0.1:%d/alertmanager"
                        send_resolved: true
                """.formatted(receiver.getAddress().getPort()), UTF_8);
        alertmanager = new ProcessBuilder(ALERTMANAGER, "--config.file=" + amConfig,
                "--storage.path=" + Files.createDirectories(work.resolve("alertmanager-data")),
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=")
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("alertmanager.log").toFile())
                .start();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            if (!alertmanager.isAlive()) {
                fail("Alertmanager exited: " + Files.readString(work.resolve("alertmanager.log")));
            }
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        });
        return port;
    }
}
