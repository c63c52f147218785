package io.zeroscale.samples.redis;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.testkit.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin as users run it: the daemon's real distribution (its own JVM, {@code bin/zeroscale
 * run}) loads the plugin folder from {@code --plugins} with its own class loader, reads the length
 * of a list in a real Redis, and scales queue workers (processes, no gateway) from zero to N while
 * jobs wait and back to zero once the queue is empty. The daemon runs Netty 4.2 and the plugin
 * bundles Lettuce on Netty 4.1: both work side by side in one JVM. A Redis outage reads as unknown:
 * the workers keep running until Redis answers again.
 */
class QueueWorkersIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PLUGIN_FOLDER = Path.of(System.getProperty("redis-queue.plugin-folder", "target/plugin/redis-queue"));
    private static final Path DAEMON = Path.of(System.getProperty("redis-queue.daemon", "target/daemon"));
    private static final Path WORKER = Path.of(System.getProperty("redis-queue.worker", "worker/Worker.java"));

    @TempDir
    Path home;

    private final String marker = UUID.randomUUID().toString();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private RedisServer redis;
    private Process daemon;
    private Path daemonLog;
    private String api;

    @BeforeEach
    void startRedisAndDaemon() throws Exception {
        redis = RedisServer.start(home.resolve("redis"));
        RedisServer.binary("redis-cli"); // the workers need it too
        assertThat(PLUGIN_FOLDER.resolve("custom-plugin-0.1.0-SNAPSHOT.jar")).as("the plugin folder (mvn package builds it)").exists();
        Path plugins = home.resolve("plugins");
        Files.createDirectories(plugins.resolve("redis-queue"));
        try (Stream<Path> jars = Files.list(PLUGIN_FOLDER)) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, plugins.resolve("redis-queue").resolve(jar.getFileName()));
            }
        }
        int apiPort = FreePorts.next();
        Path config = home.resolve("zeroscale.yaml");
        Files.writeString(config, """
                orchestrators:
                  local: { type: process }
                metrics:
                  redis: { type: redis-queue, url: "%s" }
                gateway: { listen: "127.0.0.1:0" }
                api: { listen: "127.0.0.1:%d" }
                data-dir: "%s"
                targets:
                  workers:
                    orchestrator: local
                    workload:
                      kind: Process
                      command: ["%s", "-Dredis-queue.test=%s", "%s"]
                      env: { REDIS_PORT: "%d", JOB_MILLIS: "700" }
                    policy:
                      automaton: zero-to-n
                      tick: 250ms
                      idle: 2s
                      drain-timeout: 1s
                      wake-timeout: 1m
                      replicas: { min: 0, max: 3 }
                      activation: { signal: queue, above: 0 }
                      target: { signal: queue, per-replica: 2 }
                      behavior: { scale-down: { stabilization-window: 0s } }
                      signals:
                        queue: { source: redis, query: jobs, empty-as-zero: true }
                """.formatted(redis.url(), apiPort, home.resolve("data"), Path.of(System.getProperty("java.home"), "bin", "java"),
                marker, WORKER.toAbsolutePath(), redis.port()), UTF_8);
        Path launcher = Files.list(DAEMON).findFirst().orElseThrow().resolve("bin/zeroscale");
        assertThat(launcher).as("the daemon's distribution, unpacked by the pom").isExecutable();
        daemonLog = home.resolve("daemon.log");
        ProcessBuilder builder = new ProcessBuilder(launcher.toString(), "run", "--config", config.toString(), "--plugins", plugins.toString())
                .redirectErrorStream(true)
                .redirectOutput(daemonLog.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        daemon = builder.start();
        api = "http://127.0.0.1:" + apiPort;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> workers().path("started").asBoolean());
    }

    @AfterEach
    void stopEverything() throws Exception {
        try {
            if (daemon != null) {
                daemon.destroy(); // SIGTERM: the daemon drains and exits, leaving workloads as they are
                if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly();
                }
            }
            // The daemon leaves running workers running on purpose; the test must not.
            workerProcesses().forEach(ProcessHandle::destroyForcibly);
            if (redis != null) {
                redis.close();
            }
        } finally {
            client.close();
            System.out.println("---- daemon log ----\n" + (daemonLog != null && Files.exists(daemonLog) ? Files.readString(daemonLog) : ""));
        }
    }

    @Test
    void jobsWakeWorkersFromZeroAndAnEmptyQueueReturnsThemToZero() throws Exception {
        JsonNode atStart = workers();
        assertThat(atStart.path("state").asText()).isEqualTo("ZERO");
        assertThat(atStart.path("replicas").path("observed").asInt()).isZero();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(queue().path("known").asBoolean()).isTrue());
        assertThat(queue().path("value").asDouble()).as("an empty queue (no key) with empty-as-zero").isZero();
        assertThat(workerProcesses()).isEmpty();

        redis.cli(Stream.concat(Stream.of("RPUSH", "jobs"), IntStream.rangeClosed(1, 40).mapToObj(i -> "job-" + i)).toArray(String[]::new));

        // 40 jobs at 2 per worker: up to the maximum of 3 workers, real processes (one alone needs 28 s).
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode workers = workers();
            assertThat(workers.path("state").asText()).isEqualTo("ACTIVE");
            assertThat(workers.path("replicas").path("ready").asInt()).isGreaterThanOrEqualTo(2);
        });
        assertThat(workerProcesses()).hasSizeGreaterThanOrEqualTo(2);

        // The workers empty the queue; with no job left the target drains and goes back to zero.
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            JsonNode workers = workers();
            assertThat(workers.path("state").asText()).isEqualTo("ZERO");
            assertThat(workers.path("replicas").path("observed").asInt()).isZero();
        });
        assertThat(redis.cli("LLEN", "jobs")).isEqualTo("0");
        await().atMost(Duration.ofSeconds(10)).until(() -> workerProcesses().isEmpty());
        assertThat(states()).containsSubsequence("ZERO", "WAKING", "ACTIVE", "DRAINING", "ZERO");
    }

    @Test
    void theDaemonLoadsThePluginFromItsFolderAndEachKeepsItsOwnNetty() throws Exception {
        Path lib = Files.list(DAEMON).findFirst().orElseThrow().resolve("lib");
        try (Stream<Path> jars = Files.list(lib)) {
            assertThat(jars.map(jar -> jar.getFileName().toString())).as("the daemon's own Netty")
                    .anyMatch(name -> name.startsWith("netty-common-4.2."))
                    .noneMatch(name -> name.startsWith("lettuce") || name.startsWith("custom-plugin"));
        }
        assertThat(Files.list(PLUGIN_FOLDER).map(jar -> jar.getFileName().toString())).as("the plugin's bundled Netty")
                .anyMatch(name -> name.startsWith("netty-common-4.1."));

        String log = Files.readString(daemonLog);
        assertThat(log).as("loaded from the plugins folder, not the class path")
                .containsPattern("plugin io.zeroscale.samples.redis.RedisQueuePlugin from \\S*plugins/redis-queue");
        assertThat(log).as("the plugin's classes see the plugin's own Netty, though the daemon's is 4.2")
                .containsPattern("redis-queue source redis: Redis at 127\\.0\\.0\\.1:\\d+, Lettuce 6\\.8\\.2\\.RELEASE\\S* on Netty 4\\.1\\.125\\.Final");

        // ... and it works inside the daemon next to the gateway's Netty 4.2: a real value from Redis.
        redis.cli("RPUSH", "jobs", "one");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode workers = workers();
            assertThat(workers.path("state").asText()).isIn("WAKING", "ACTIVE");
        });
    }

    @Test
    void aRedisOutageReadsAsUnknownAndKeepsTheWorkersRunning() throws Exception {
        redis.cli(Stream.concat(Stream.of("RPUSH", "jobs"), IntStream.rangeClosed(1, 200).mapToObj(i -> "job-" + i)).toArray(String[]::new));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(workers().path("state").asText()).isEqualTo("ACTIVE");
            assertThat(workers().path("replicas").path("ready").asInt()).isGreaterThanOrEqualTo(1);
        });
        List<ProcessHandle> running = workerProcesses();
        assertThat(running).isNotEmpty();

        redis.stop();

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode queue = queue();
            assertThat(queue.path("known").asBoolean()).isFalse();
            assertThat(queue.path("reason").asText()).contains(redis.address());
        });
        // Idle (2s) and drain-timeout (1s) pass several times over: unknown is not zero, nothing is stopped.
        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode workers = workers();
            assertThat(workers.path("state").asText()).isEqualTo("ACTIVE");
            assertThat(workers.path("replicas").path("desired").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(workers.path("replicas").path("ready").asInt()).isGreaterThanOrEqualTo(1);
        });
        assertThat(running).as("the workers running when Redis went away").allMatch(ProcessHandle::isAlive);

        // Redis is back, without its data (no persistence): an empty queue, read as 0, and back to zero.
        redis.start();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(queue().path("known").asBoolean()).isTrue();
            assertThat(workers().path("state").asText()).isEqualTo("ZERO");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> workerProcesses().isEmpty());
    }

    private JsonNode workers() throws IOException, InterruptedException {
        return get(api + "/targets/workers");
    }

    private JsonNode queue() throws IOException, InterruptedException {
        return workers().path("signals").path("queue");
    }

    private List<String> states() throws IOException, InterruptedException {
        List<String> states = new ArrayList<>();
        for (JsonNode entry : get(api + "/journal?target=workers&limit=200")) {
            String state = entry.path("state").asText();
            if (entry.path("kind").asText().equals("DECISION") && (states.isEmpty() || !states.getLast().equals(state))) {
                states.add(state);
            }
        }
        return states;
    }

    private JsonNode get(String url) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** The worker processes this test's daemon started, found by the marker in their command line. */
    private List<ProcessHandle> workerProcesses() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(line -> line.contains(marker)).orElse(false))
                .filter(ProcessHandle::isAlive)
                .toList();
    }
}
