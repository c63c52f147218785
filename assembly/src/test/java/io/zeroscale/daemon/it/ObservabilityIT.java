package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/observability against the daemon it is for: {@code promtool check rules} passes on the
 * shipped rules, and every query of the rules and of the Grafana dashboard names only metrics a
 * running daemon (one wake through the gateway, one API call) really exports at /metrics. Every
 * duration histogram's buckets fit its unit (seconds).
 */
class ObservabilityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMTOOL = "/usr/bin/promtool";
    private static final Pattern METRIC = Pattern.compile("\\bzeroscale_[a-zA-Z0-9_]+");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? ", Pattern.MULTILINE);
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    @TempDir
    Path work;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Daemon daemon;
    private DaemonConfig config;

    private static Path deploy() {
        Path observability = Path.of(System.getProperty("zeroscale.deploy", "../deploy")).resolve("observability");
        assertThat(observability).as("deploy/observability").isDirectory();
        return observability;
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        if (config != null) {
            // The daemon leaves workloads running on purpose; the test must not.
            LeftoverProcesses.stop(config.dataDirectory(), config.targets());
        }
        client.close();
    }

    @Test
    void promtoolAcceptsTheShippedRules() throws Exception {
        if (!Files.isExecutable(Path.of(PROMTOOL))) {
            fail(PROMTOOL + " is missing; install it with: apt-get install -y prometheus (or run ./scripts/test)");
        }
        Path rules = deploy().resolve("prometheus/zeroscale-rules.yaml");
        Process promtool = new ProcessBuilder(PROMTOOL, "check", "rules", rules.toString()).redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes(), UTF_8);
        assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(promtool.exitValue()).as(output).isZero();
        assertThat(output).contains("SUCCESS: 7 rules found");
    }

    @Test
    void everyQueryNamesAMetricTheDaemonExportsAndDurationBucketsFitSeconds() throws Exception {
        String metrics = runningDaemonMetrics();
        Map<String, List<String>> series = new TreeMap<>();
        Matcher sample = SAMPLE.matcher(metrics);
        while (sample.find()) {
            series.computeIfAbsent(sample.group(1), name -> new ArrayList<>()).add(sample.group(2) == null ? "" : sample.group(2));
        }

        List<String> queries = new ArrayList<>();
        JsonNode dashboard = JSON.readTree(deploy().resolve("grafana/zeroscale-dashboard.json").toFile());
        assertThat(dashboard.path("panels")).isNotEmpty();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(panel.path("targets")).as("queries of panel %s", panel.path("title")).isNotEmpty();
            panel.path("targets").forEach(target -> queries.add(target.path("expr").asText()));
        }
        dashboard.path("templating").path("list").forEach(variable -> {
            if (variable.path("type").asText().equals("query")) {
                queries.add(variable.path("query").path("query").asText());
            }
        });
        for (String line : Files.readAllLines(deploy().resolve("prometheus/zeroscale-rules.yaml"), UTF_8)) {
            // Rule expressions: "expr: ..." and the folded lines under "expr: >-".
            if (line.contains("expr:") || line.startsWith("            ")) {
                queries.add(line);
            }
        }
        TreeSet<String> unknown = new TreeSet<>();
        for (String query : queries) {
            Matcher names = METRIC.matcher(query);
            boolean any = false;
            while (names.find()) {
                any = true;
                if (!series.containsKey(names.group())) {
                    unknown.add(names.group() + " in: " + query.strip());
                }
            }
            if (query.contains("expr:") && !query.strip().endsWith(">-")) {
                assertThat(any).as("a Zeroscale metric in " + query.strip()).isTrue();
            }
        }
        assertThat(unknown).as("metrics named by deploy/observability that the daemon does not export (it exports %s)",
                series.keySet()).isEmpty();

        // Every duration histogram is in seconds with buckets from milliseconds to minutes, not the
        // SDK's default (0, 5, 10, 25 ... 10000), which is meant for milliseconds.
        List<String> histograms = series.keySet().stream().filter(name -> name.endsWith("_seconds_bucket")).toList();
        assertThat(histograms).contains("zeroscale_api_request_duration_seconds_bucket", "zeroscale_actuation_duration_seconds_bucket");
        for (String histogram : histograms) {
            TreeSet<Double> bounds = new TreeSet<>();
            for (String labels : series.get(histogram)) {
                Matcher le = LE.matcher(labels);
                if (le.find() && !le.group(1).equals("+Inf")) {
                    bounds.add(Double.parseDouble(le.group(1)));
                }
            }
            assertThat(bounds.first()).as("%s smallest bucket", histogram).isLessThanOrEqualTo(0.005);
            assertThat(bounds.last()).as("%s largest bucket", histogram).isBetween(5.0, 300.0);
        }
    }

    /** Runs the daemon with one process target, wakes it through the gateway, calls the API, scrapes /metrics. */
    private String runningDaemonMetrics() throws Exception {
        Path backend = Path.of(System.getProperty("zeroscale.quickstart", "../samples/quickstart"), "backend", "Backend.java")
                .toAbsolutePath();
        Path file = work.resolve("zeroscale.yaml");
        Files.writeString(file, """
                data-dir: data
                orchestrators:
                  local: { type: process }
                gateway: { listen: "127.0.0.1:0" }
                api: { listen: "127.0.0.1:0" }
                targets:
                  shop:
                    orchestrator: local
                    workload:
                      kind: Process
                      command: ["%s", -XX:TieredStopAtLevel=1, "%s"]
                      env: { LOAD_SECONDS: "0" }
                      readiness: { http: /health }
                    route: { path: / }
                    policy:
                      automaton: zero-to-n
                      idle: 10m
                      wake-timeout: 1m
                      replicas: { min: 0, max: 1 }
                """.formatted(Path.of(System.getProperty("java.home"), "bin", "java"), backend), UTF_8);
        config = ConfigLoader.fromEnvironment().load(file, Map.of());
        daemon = Daemon.create(config, Distribution.loadPlugins()).start();
        HttpResponse<String> woken = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.gatewayPort() + "/"))
                .timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(woken.statusCode()).as(woken.body()).isEqualTo(200);
        String api = "http://127.0.0.1:" + daemon.apiPort();
        assertThat(client.send(HttpRequest.newBuilder(URI.create(api + "/targets")).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode()).isEqualTo(200);
        HttpResponse<String> scrape = client.send(HttpRequest.newBuilder(URI.create(api + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
        return scrape.body();
    }
}
