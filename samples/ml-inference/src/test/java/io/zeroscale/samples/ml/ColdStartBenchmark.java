package io.zeroscale.samples.ml;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The ML cold-start measurement behind {@code benchmarks/run ml-inference}: for the process and the
 * docker variant, {@code --runs} cycles (after one warm-up cycle that is not recorded) of
 *
 * <ol>
 *   <li>zero: wait until the target is at ZERO with nothing running, then time one {@code POST
 *       /embed} through the gateway to its 200 (the daemon starts the service, which loads the
 *       model);
 *   <li>warm: three more requests, each timed;
 *   <li>paused (docker only): wait until {@code pause-after} froze the container, time one request
 *       (unpause + answer);
 * </ol>
 *
 * then wait for {@code idle} to take it back to zero. Every sample is written, in order, to the
 * JSON file {@code --out}; benchmarks/report.py computes p50/p99 from them. Nothing is thrown away:
 * a failed request ends the run with an error. Containers and processes it started are removed at
 * the end.
 *
 * <p>Args: {@code --runs N} (30), {@code --variants process,docker}, {@code --out FILE}. Run from the
 * repository root with the test class path (see benchmarks/run).
 */
public final class ColdStartBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String TEXT = "A man is playing a guitar.";
    private static final int WARM_PER_CYCLE = 3;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private String gateway = "";
    private String api = "";

    private ColdStartBenchmark() {}

    public static void main(String[] args) throws Exception {
        int runs = 30;
        List<String> variants = List.of("process", "docker");
        Path out = Path.of("benchmarks/results/ml-inference.json");
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--variants" -> variants = List.of(args[i + 1].split(","));
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; use --runs N --variants process,docker --out FILE");
            }
        }
        ObjectNode result = JSON.createObjectNode();
        ObjectNode setup = result.putObject("setup");
        setup.put("runs", runs);
        setup.put("warmupCycles", 1);
        setup.put("warmRequestsPerCycle", WARM_PER_CYCLE);
        setup.put("request", "POST /embed {\"text\": \"" + TEXT + "\"} through the gateway, HTTP/1.1, new connection per request");
        setup.put("model", "all-MiniLM-L6-v2 int8 (ONNX Runtime), tokenizer.json (DJL tokenizers)");
        setup.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        setup.put("java", Runtime.version().toString());
        ArrayNode samples = result.putArray("samples");
        for (String variant : variants) {
            Path data = Files.createTempDirectory("zs-ml-bench");
            new ColdStartBenchmark().measure(variant, runs, data, samples, setup);
            // Written after each variant, so a run stopped at its bound keeps the variants it finished.
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, JSON.writeValueAsString(result), UTF_8);
            System.out.printf("ml-inference %s: done, wrote %s%n", variant, out);
        }
    }

    private void measure(String variant, int runs, Path data, ArrayNode samples, ObjectNode setup) throws Exception {
        String marker = UUID.randomUUID().toString();
        String name = "embedder-bench-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        String label = "io.zeroscale.group=containers/ContainerGroup/" + name;
        Path sample = EmbeddingServiceDockerIT.sampleDir();
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("gateway.listen", "127.0.0.1:0");
        overrides.put("api.listen", "127.0.0.1:0");
        overrides.put("data-dir", data.toString());
        Path config;
        DockerClient docker = null;
        if (variant.equals("docker")) {
            EmbeddingServiceDockerIT.buildImage(EmbeddingServiceDockerIT.IMAGE);
            docker = EmbeddingServiceDockerIT.dockerClient();
            config = sample.resolve("zeroscale-docker.yaml");
            overrides.put("targets.embedder.workload.name", name);
            overrides.put("targets.embedder.workload.image", EmbeddingServiceDockerIT.IMAGE);
            overrides.put("targets.embedder.policy.pause-after", "2s");
            overrides.put("targets.embedder.policy.idle", "5s");
            setup.put("docker", "zeroscale-docker.yaml (cpus 1.5, memory 1g, image " + EmbeddingServiceDockerIT.IMAGE
                    + " from build-image), pause-after 2s, idle 5s");
        } else if (variant.equals("process")) {
            // The process sample's config, with this JVM's java and the built class path.
            config = data.resolve("zeroscale.yaml");
            String classPath = sample.resolve("target/classes") + File.pathSeparator + sample.resolve("target/lib/*");
            Files.writeString(config, """
                    orchestrators:
                      local: { type: process }
                    targets:
                      embedder:
                        orchestrator: local
                        workload:
                          kind: Process
                          command: ["%s", "-Dml.bench=%s", "-cp", "%s", "io.zeroscale.samples.ml.EmbeddingServer"]
                          env: { MODEL_DIR: "%s" }
                          readiness: { http: /health }
                        route: { path: / }
                        policy:
                          automaton: zero-to-n
                          idle: 2s
                          wake-timeout: 3m
                          replicas: { min: 0, max: 1 }
                    """.formatted(Path.of(System.getProperty("java.home"), "bin", "java"), marker, classPath,
                    EmbeddingServiceIT.modelDirectory()), UTF_8);
            setup.put("process", "zeroscale.yaml's workload (the service's own JVM, " + System.getProperty("java.home") + "), idle 2s");
        } else {
            throw new IllegalArgumentException("unknown variant " + variant + "; use process or docker");
        }
        Daemon daemon = Daemon.create(ConfigLoader.fromEnvironment().load(config, overrides), Plugins.load(null)).start();
        DockerClient engine = docker;
        try {
            gateway = "http://127.0.0.1:" + daemon.gatewayPort();
            api = "http://127.0.0.1:" + daemon.apiPort();
            for (int cycle = 0; cycle <= runs; cycle++) {
                boolean record = cycle > 0;
                waitFor("ZERO with nothing running", Duration.ofMinutes(2), () -> state().equals("ZERO")
                        && target().path("replicas").path("observed").asInt() == 0 && (engine == null || containers(engine, label).isEmpty()));
                double load = loadAverage();
                double zero = timedRequest();
                add(samples, record, variant, "zero", cycle, zero, load);
                for (int i = 0; i < WARM_PER_CYCLE; i++) {
                    add(samples, record, variant, "warm", cycle, timedRequest(), load);
                }
                if (engine != null) {
                    waitFor("PAUSED with the container frozen", Duration.ofMinutes(1), () -> {
                        List<Container> frozen = containers(engine, label);
                        return state().equals("PAUSED") && !frozen.isEmpty() && frozen.stream().allMatch(c -> "paused".equals(c.getState()));
                    });
                    double paused = timedRequest();
                    add(samples, record, variant, "paused", cycle, paused, loadAverage());
                }
                System.out.printf("ml-inference %s cycle %d%s: zero %.0f ms%n", variant, cycle, record ? "" : " (warm-up)", zero);
            }
        } finally {
            daemon.stop();
            if (engine != null) {
                for (Container container : containers(engine, label)) {
                    engine.removeContainerCmd(container.getId()).withForce(true).exec();
                }
                engine.close();
            }
            ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().map(line -> line.contains(marker)).orElse(false))
                    .forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static void add(ArrayNode samples, boolean record, String variant, String tier, int cycle, double ms, double load) {
        if (!record) {
            return;
        }
        ObjectNode sample = samples.addObject();
        sample.put("variant", variant);
        sample.put("tier", tier);
        sample.put("cycle", cycle);
        sample.put("ms", Math.round(ms * 1000) / 1000.0);
        sample.put("loadAverage", load);
        sample.put("at", Instant.now().toString());
    }

    private static List<Container> containers(DockerClient docker, String label) {
        return docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(label)).exec();
    }

    /** One request to its 200, in milliseconds; anything else ends the run (no sample is dropped). */
    private double timedRequest() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway + "/embed"))
                .timeout(Duration.ofMinutes(3))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"" + TEXT + "\"}"))
                .build();
        long start = System.nanoTime();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        double ms = (System.nanoTime() - start) / 1e6;
        if (response.statusCode() != 200 || JSON.readTree(response.body()).path("embedding").size() != 384) {
            throw new IllegalStateException("POST /embed answered " + response.statusCode() + ": " + response.body());
        }
        return ms;
    }

    private String state() throws Exception {
        return target().path("state").asText();
    }

    private JsonNode target() throws Exception {
        return JSON.readTree(client.send(HttpRequest.newBuilder(URI.create(api + "/targets/embedder")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    /** Polls every 50 ms; a condition that throws counts as not yet. */
    private static void waitFor(String what, Duration limit, Check check) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (check.holds()) {
                    return;
                }
            } catch (Exception e) {
                // not yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("not " + what + " after " + limit);
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (Exception e) {
            return -1;
        }
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }
}
