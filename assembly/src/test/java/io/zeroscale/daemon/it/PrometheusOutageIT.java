package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.testkit.PrometheusPeer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "A metric source that fails reads as unknown, and the engine holds its replicas", end to end:
 * the daemon with the prometheus plugin from the distribution's plugins/prometheus/, a real
 * Prometheus scraping a gauge the test sets, and two real backend processes (the quickstart's):
 * <ul>
 *   <li>{@code api} is woken by a request; its policy has the signal {@code queue} from Prometheus.
 *       While Prometheus is down, idle would take it to zero: the engine's safety rule keeps the
 *       replica and journals a SAFETY entry naming the unknown signal.
 *   <li>{@code worker} is woken by {@code queue} above its activation threshold. While Prometheus
 *       is down its activation signal is unknown, which is not idle: it stays ACTIVE.
 * </ul>
 * When Prometheus comes back with a low value, both go to zero and their processes exit.
 */
class PrometheusOutageIT {
    private static final Pattern PID = Pattern.compile("pid (\\d+)");
    /** worker's idle; api's is API_IDLE, long enough to notice the outage within it. */
    private static final Duration IDLE = Duration.ofSeconds(3);
    private static final Duration API_IDLE = Duration.ofSeconds(10);

    @TempDir
    Path home;

    private final AtomicReference<String> queueDepth = new AtomicReference<>("0");
    private HttpServer exporter;
    private PrometheusPeer prometheus;
    private DaemonConfig config;
    private Daemon daemon;
    private ApiClient client;

    @BeforeEach
    void startPeers() throws IOException {
        // The application's own metric, as Prometheus would scrape it from a real service.
        exporter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        exporter.createContext("/metrics", exchange -> {
            byte[] body = ("# TYPE zeroscale_it_queue_depth gauge\nzeroscale_it_queue_depth " + queueDepth.get() + "\n").getBytes(UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        exporter.start();
        prometheus = PrometheusPeer.scraping(home.resolve("prometheus"), "127.0.0.1:" + exporter.getAddress().getPort());
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (client != null) {
            client.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
        if (prometheus != null) {
            prometheus.close();
        }
        if (exporter != null) {
            exporter.stop(0);
        }
        if (config != null) {
            stopBackends(config);
        }
    }

    @Test
    void whilePrometheusIsDownTheSignalIsUnknownAndBothTargetsKeepTheirReplicaThenGoToZeroOnceItIsBack() throws Exception {
        config = ConfigLoader.fromEnvironment().load(writeConfig(), Map.of());
        Plugins plugins = Distribution.loadPlugins();
        assertThat(plugins.found()).anySatisfy(found -> {
            assertThat(found.plugin().getClass().getName()).isEqualTo("io.zeroscale.plugin.prometheus.PrometheusPlugin");
            assertThat(found.origin()).isEqualTo(Distribution.plugins().resolve("prometheus").toString());
        });
        daemon = Daemon.create(config, plugins).start();
        client = new ApiClient(daemon.apiPort(), daemon.gatewayPort());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(queue("worker").path("value").asDouble()).isZero());
        assertThat(client.states("worker")).containsExactly("ZERO");

        // worker: woken by the signal above its activation threshold. api: woken by a request, just
        // before the outage (its idle is long enough for the engine to notice the outage first).
        queueDepth.set("3");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(client.states("worker")).containsExactly("ZERO", "WAKING", "ACTIVE"));
        assertThat(client.journal("worker")).anySatisfy(entry ->
                assertThat(entry.path("message").asText()).isEqualTo("ZERO -> WAKING: waking: signal queue = 3.0 above activation 0.0"));
        long workerPid = pid(client.request("/worker/hello"));
        long apiPid = pid(client.request("/api/hello"));

        // Prometheus goes away; the queue empties meanwhile, but nobody can see that.
        prometheus.stop();
        queueDepth.set("0");
        for (String target : List.of("api", "worker")) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode queue = queue(target);
                assertThat(queue.path("known").asBoolean()).isFalse();
                assertThat(queue.path("reason").asText()).contains(prometheus.url(), "unreachable");
            });
        }

        // api: idle passes, the automaton drains and decides zero, the engine keeps the replica.
        await().atMost(API_IDLE.plusSeconds(30)).untilAsserted(() -> assertThat(client.journal("api")).anySatisfy(entry -> {
            assertThat(entry.path("kind").asText()).isEqualTo("SAFETY");
            assertThat(entry.path("message").asText())
                    .startsWith("kept 1 replicas instead of 0: signal 'queue' is unknown (prometheus at " + prometheus.url() + " is unreachable");
        }));
        // Both keep their replica and their process for well over idle while Prometheus stays down.
        await().during(IDLE.multipliedBy(3)).atMost(IDLE.multipliedBy(5)).untilAsserted(() -> {
            assertThat(ProcessHandle.of(apiPid).map(ProcessHandle::isAlive)).as("api's backend").hasValue(true);
            assertThat(ProcessHandle.of(workerPid).map(ProcessHandle::isAlive)).as("worker's backend").hasValue(true);
            assertThat(client.target("api").path("replicas").path("desired").asInt()).isEqualTo(1);
            JsonNode worker = client.target("worker");
            assertThat(worker.path("state").asText()).isEqualTo("ACTIVE");
            assertThat(worker.path("replicas").path("desired").asInt()).isEqualTo(1);
        });
        assertThat(client.states("worker")).as(client.journalText("worker")).containsExactly("ZERO", "WAKING", "ACTIVE");
        // Every entry since the wake, the automaton's own "-> ZERO" included, applied 1 replica.
        List<JsonNode> apiJournal = client.journal("api");
        assertThat(apiJournal.subList(1, apiJournal.size())).as(client.journalText("api"))
                .allSatisfy(entry -> assertThat(entry.path("replicas").asInt()).isEqualTo(1))
                .anySatisfy(entry -> assertThat(entry.path("message").asText()).startsWith("DRAINING -> ZERO: kept 1 replicas: signal 'queue' is unknown"));

        // Prometheus is back and reads the queue as empty: now zero is safe, for both.
        prometheus.start();
        for (String target : List.of("api", "worker")) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode status = client.target(target);
                assertThat(status.path("state").asText()).isEqualTo("ZERO");
                assertThat(status.path("replicas").path("desired").asInt()).isZero();
                assertThat(status.path("replicas").path("observed").asInt()).isZero();
            });
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(apiPid).filter(ProcessHandle::isAlive).isEmpty());
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(workerPid).filter(ProcessHandle::isAlive).isEmpty());
        assertThat(queue("worker").path("value").asDouble()).isZero();
        assertThat(client.states("worker")).as(client.journalText("worker")).containsExactly("ZERO", "WAKING", "ACTIVE", "DRAINING", "ZERO");
        assertThat(client.journal("api").getLast().path("replicas").asInt()).as(client.journalText("api")).isZero();
    }

    private Path writeConfig() throws IOException {
        String backend = Distribution.sample("quickstart/backend/Backend.java").toAbsolutePath().toString();
        String workload = "{ kind: Process, command: [java, -XX:TieredStopAtLevel=1, \"" + backend + "\"],"
                + " env: { LOAD_SECONDS: \"0\" }, readiness: { http: /health } }";
        Path file = home.resolve("zeroscale.yaml");
        Files.writeString(file, """
                data-dir: %s
                orchestrators:
                  local: { type: process }
                metrics:
                  prom: { type: prometheus, url: "%s", timeout: 1s, retries: { max-attempts: 1 } }
                gateway: { listen: "127.0.0.1:0" }
                api: { listen: "127.0.0.1:0" }
                targets:
                  api:
                    orchestrator: local
                    workload: %s
                    route: { path: /api }
                    policy:
                      automaton: zero-to-n
                      idle: %ds
                      replicas: { min: 0, max: 1 }
                      signals:
                        queue: { source: prom, query: zeroscale_it_queue_depth }
                  worker:
                    orchestrator: local
                    workload: %s
                    route: { path: /worker }
                    policy:
                      automaton: zero-to-n
                      idle: %ds
                      replicas: { min: 0, max: 1 }
                      signals:
                        queue: { source: prom, query: zeroscale_it_queue_depth }
                      activation: { signal: queue, above: 0 }
                """.formatted(home.resolve("data"), prometheus.url(), workload, API_IDLE.toSeconds(), workload, IDLE.toSeconds()), UTF_8);
        return file;
    }

    private JsonNode queue(String target) throws Exception {
        return client.target(target).path("signals").path("queue");
    }

    private static long pid(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Matcher matcher = PID.matcher(response.body());
        assertThat(matcher.find()).as("a pid in %s", response.body()).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    /** The daemon leaves workloads running on shutdown; the test must not. Adopt them as the next daemon would, and stop them. */
    private void stopBackends(DaemonConfig daemonConfig) throws Exception {
        List<TargetSpec> targets = new ArrayList<>(daemonConfig.targets());
        LeftoverProcesses.stop(home.resolve("data"), targets);
    }
}
