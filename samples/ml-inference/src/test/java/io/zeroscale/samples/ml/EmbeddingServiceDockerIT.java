package io.zeroscale.samples.ml;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker (Podman) variant: samples/ml-inference/zeroscale-docker.yaml with the docker
 * orchestrator against Podman's Docker API. The image is built from local files by
 * samples/ml-inference/build-image. The first request after zero gets a real 384-dimension
 * embedding from a container created with the resource profile's CPU and memory limits (read back
 * with the Docker API's inspect); pause-after freezes it and a request resumes the same container;
 * idle removes it; 50 concurrent requests at zero are all answered 200.
 */
class EmbeddingServiceDockerIT {
    static final String SOCKET = "/run/podman/podman.sock";
    static final String IMAGE = "localhost/zeroscale/ml-inference:it";
    private static final ObjectMapper JSON = EmbedderClient.JSON;

    @TempDir
    Path data;

    /** The workload's own name, so this run neither adopts nor removes another run's containers. */
    private final String name = "embedder-it-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final String label = "io.zeroscale.group=containers/ContainerGroup/" + name;
    private DockerClient docker;
    private Daemon daemon;
    private EmbedderClient embedder;

    @BeforeEach
    void buildImageAndStartDaemon() throws Exception {
        if (!Files.exists(Path.of(SOCKET))) {
            fail("No container engine: " + SOCKET + " does not exist. Set it up with ./scripts/test, or: source scripts/peers.sh"
                    + " && source scripts/peers.d/podman.sh && zs_peer_podman");
        }
        docker = dockerClient();
        buildImage(IMAGE);

        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("gateway.listen", "127.0.0.1:0");
        overrides.put("api.listen", "127.0.0.1:0");
        overrides.put("data-dir", data.toString());
        overrides.put("targets.embedder.workload.name", name);
        overrides.put("targets.embedder.workload.image", IMAGE);
        overrides.put("targets.embedder.policy.pause-after", "4s");
        overrides.put("targets.embedder.policy.idle", "20s");
        daemon = Daemon.create(ConfigLoader.fromEnvironment().load(sampleDir().resolve("zeroscale-docker.yaml"), overrides), Plugins.load(null)).start();
        embedder = new EmbedderClient(daemon, Duration.ofMinutes(4));
        await().atMost(Duration.ofSeconds(30)).until(() -> embedder.target().path("started").asBoolean());
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        // The daemon leaves containers as they are on shutdown; the test must not.
        if (docker != null) {
            for (Container container : containers()) {
                docker.removeContainerCmd(container.getId()).withForce(true).exec();
            }
            docker.close();
        }
        if (embedder != null) {
            embedder.close();
        }
    }

    @Test
    void wakesFromZeroWithTheResourceProfileResumesFromPausedAndAnswersFiftyConcurrentRequestsAtZero() throws Exception {
        assertThat(embedder.target().path("state").asText()).isEqualTo("ZERO");
        assertThat(containers()).isEmpty();

        long coldStart = System.nanoTime();
        float[] guitar = embedder.embed("A man is playing a guitar.");
        System.out.printf("ml-inference (docker): first request from zero answered in %d ms%n", (System.nanoTime() - coldStart) / 1_000_000);
        assertThat(guitar).hasSize(384);
        float[] paraphrase = embedder.embed("Someone is playing the guitar.");
        float[] unrelated = embedder.embed("The stock market fell sharply today.");
        assertThat(EmbeddingServiceIT.cosine(guitar, paraphrase)).as("paraphrases").isGreaterThan(EmbeddingServiceIT.cosine(guitar, unrelated) + 0.3);

        // The resource profile, as the engine reports it for the container the wake created.
        List<Container> running = containers();
        assertThat(running).hasSize(1);
        String id = running.getFirst().getId();
        InspectContainerResponse inspect = docker.inspectContainerCmd(id).exec();
        System.out.printf("ml-inference (docker): container %s NanoCpus=%d CpuQuota=%d CpuPeriod=%d Memory=%d%n", id.substring(0, 12),
                inspect.getHostConfig().getNanoCPUs(), inspect.getHostConfig().getCpuQuota(), inspect.getHostConfig().getCpuPeriod(),
                inspect.getHostConfig().getMemory());
        assertThat(inspect.getHostConfig().getMemory()).as("memory: 1g").isEqualTo(1024L * 1024 * 1024);
        assertThat(cpus(inspect)).as("cpus: 1.5").isEqualTo(1.5);

        // pause-after: the same container is frozen, then a request resumes it.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(embedder.target().path("state").asText()).isEqualTo("PAUSED"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(docker.inspectContainerCmd(id).exec().getState().getPaused()).isTrue());
        // The engine must have observed the pause too (the container's pause event reaches it a moment
        // after the engine runtime reports it): a request sent before then finds a replica the engine
        // still counts as ready, and is forwarded to it, then resumed as "no ready replica any more".
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(embedder.target().path("replicas").path("ready").asInt())
                .as("ready replicas the engine observes while paused").isZero());
        long resume = System.nanoTime();
        assertThat(embedder.embed("A woman is slicing an onion.")).hasSize(384);
        System.out.printf("ml-inference (docker): first request while paused answered in %d ms%n", (System.nanoTime() - resume) / 1_000_000);
        assertThat(containers()).extracting(Container::getId).containsExactly(id);
        assertThat(embedder.journal()).anySatisfy(message -> assertThat(message).contains("PAUSED -> WAKING: resuming: 1 request(s) held"));

        // idle: removed; then 50 concurrent requests at zero.
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertThat(embedder.target().path("state").asText()).isEqualTo("ZERO");
            assertThat(containers()).isEmpty();
        });
        long burst = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            requests.add(embedder.embedAsync("request number " + i));
        }
        for (CompletableFuture<HttpResponse<String>> request : requests) {
            HttpResponse<String> response = request.get(4, TimeUnit.MINUTES);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(JSON.readTree(response.body()).path("embedding")).hasSize(384);
        }
        System.out.printf("ml-inference (docker): 50 concurrent requests from zero all answered 200 in %d ms%n", (System.nanoTime() - burst) / 1_000_000);
        assertThat(embedder.journal()).noneMatch(message -> message.contains("ACTUATION_FAILED"));
    }

    /** Podman reports a CPU limit as NanoCpus or as quota/period, depending on how it was set. */
    private static double cpus(InspectContainerResponse inspect) {
        Long nano = inspect.getHostConfig().getNanoCPUs();
        if (nano != null && nano > 0) {
            return nano / 1e9;
        }
        Long quota = inspect.getHostConfig().getCpuQuota();
        Long period = inspect.getHostConfig().getCpuPeriod();
        return quota == null || period == null || period == 0 ? 0 : (double) quota / period;
    }

    static Path sampleDir() {
        Path dir = Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("zeroscale-docker.yaml"))) {
            dir = dir.resolve("samples/ml-inference");
        }
        return dir;
    }

    /** samples/ml-inference/build-image, with this JVM's JDK for the jlink runtime; cached layers make a rebuild cheap. */
    static void buildImage(String image) throws Exception {
        EmbeddingServiceIT.modelDirectory();
        ProcessBuilder builder = new ProcessBuilder("bash", sampleDir().resolve("build-image").toString(), image).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), UTF_8);
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            fail("samples/ml-inference/build-image failed:\n" + output);
        }
    }

    /** The test's own Docker API client, independent of the plugin under test. */
    static DockerClient dockerClient() {
        return DockerClientImpl.getInstance(DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost("unix://" + SOCKET).build(),
                new ZerodepDockerHttpClient.Builder().dockerHost(URI.create("unix://" + SOCKET)).build());
    }

    private List<Container> containers() {
        return docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(label)).exec();
    }

}
