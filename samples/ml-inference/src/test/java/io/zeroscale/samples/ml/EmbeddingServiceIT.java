package io.zeroscale.samples.ml;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding service behind the daemon with the process orchestrator: the first request after
 * zero waits for a real model load and gets a real 384-dimension embedding; paraphrases are closer
 * than an unrelated sentence; after the idle time the service is stopped; 50 concurrent requests
 * sent while it is at zero are all answered 200.
 */
class EmbeddingServiceIT {
    private static final ObjectMapper JSON = EmbedderClient.JSON;

    @TempDir
    Path home;

    private final String marker = UUID.randomUUID().toString();
    private Daemon daemon;
    private EmbedderClient embedder;

    static Path modelDirectory() {
        String configured = System.getProperty("ml.model.dir", "");
        Path models = configured.isBlank() || configured.startsWith("${") ? Path.of("/var/cache/zeroscale/models") : Path.of(configured);
        Path dir = models.resolve("all-MiniLM-L6-v2");
        if (!Files.isRegularFile(dir.resolve("model.onnx")) || !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            fail("the all-MiniLM-L6-v2 model is not in " + dir + "; fetch it with: source scripts/peers.sh && source "
                    + "scripts/peers.d/minilm.sh && zs_peer_minilm (./scripts/test does this)");
        }
        return dir;
    }

    @BeforeEach
    void startDaemon() throws Exception {
        String classPath = System.getProperty("ml.service.classpath");
        assertThat(classPath).as("the service's class path, set by the pom").isNotBlank().doesNotContain("${");
        Path config = home.resolve("zeroscale.yaml");
        Files.writeString(config, """
                orchestrators:
                  local: { type: process }
                gateway: { listen: "127.0.0.1:0" }
                api: { listen: "127.0.0.1:0" }
                data-dir: "%s"
                targets:
                  embedder:
                    orchestrator: local
                    workload:
                      kind: Process
                      command: ["%s", "-Dml.test=%s", "-cp", "%s", "io.zeroscale.samples.ml.EmbeddingServer"]
                      env: { MODEL_DIR: "%s" }
                      readiness: { http: /health }
                    route: { path: / }
                    policy:
                      automaton: zero-to-n
                      idle: 3s
                      wake-timeout: 3m
                      replicas: { min: 0, max: 1 }
                """.formatted(home.resolve("data"), Path.of(System.getProperty("java.home"), "bin", "java"), marker, classPath,
                modelDirectory()), UTF_8);
        daemon = Daemon.create(ConfigLoader.fromEnvironment().load(config, Map.of()), Plugins.load(null)).start();
        embedder = new EmbedderClient(daemon, Duration.ofMinutes(3));
        await().atMost(Duration.ofSeconds(30)).until(() -> embedder.target().path("started").asBoolean());
    }

    @AfterEach
    void stopEverything() {
        if (daemon != null) {
            daemon.stop();
        }
        // The daemon leaves a running service running on purpose; the test must not.
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(line -> line.contains(marker)).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
        if (embedder != null) {
            embedder.close();
        }
    }

    @Test
    void firstRequestAfterZeroGetsARealEmbeddingAndFiftyConcurrentRequestsAtZeroAreAllAnswered() throws Exception {
        assertThat(embedder.target().path("state").asText()).isEqualTo("ZERO");

        long coldStart = System.nanoTime();
        float[] guitar = embedder.embed("A man is playing a guitar.");
        System.out.printf("ml-inference: first request from zero answered in %d ms%n", (System.nanoTime() - coldStart) / 1_000_000);
        assertThat(guitar).hasSize(384);
        assertThat(embedder.target().path("state").asText()).isEqualTo("ACTIVE");
        float[] paraphrase = embedder.embed("Someone is playing the guitar.");
        float[] unrelated = embedder.embed("The stock market fell sharply today.");
        System.out.printf("ml-inference: cosine(paraphrase) %.3f, cosine(unrelated) %.3f%n", cosine(guitar, paraphrase), cosine(guitar, unrelated));
        assertThat(cosine(guitar, paraphrase)).as("paraphrases").isGreaterThan(cosine(guitar, unrelated) + 0.3);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(embedder.target().path("state").asText()).isEqualTo("ZERO");
            assertThat(embedder.target().path("replicas").path("observed").asInt()).isZero();
        });

        long burst = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            requests.add(embedder.embedAsync("request number " + i));
        }
        for (CompletableFuture<HttpResponse<String>> request : requests) {
            HttpResponse<String> response = request.get();
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(JSON.readTree(response.body()).path("embedding")).hasSize(384);
        }
        System.out.printf("ml-inference: 50 concurrent requests from zero all answered 200 in %d ms%n", (System.nanoTime() - burst) / 1_000_000);
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
