package io.zeroscale.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.zeroscale.engine.JournalEntry;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.engine.YamlConfig;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.gateway.Gateway;
import io.zeroscale.gateway.GatewayConfig;
import io.zeroscale.gateway.GatewayRoute;
import io.zeroscale.plugin.docker.DockerOrchestratorFactory;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Docker wake budgets, each measured next to the container's own start on the same host in
 * the same run.
 *
 * <p>Runs the real engine over the real {@code docker} orchestrator (Podman's or Docker's engine
 * API) and a real {@link Gateway}, with three targets made from the same image and command (a
 * busybox {@code httpd} that sleeps a start delay first, standing for an app's own start):
 *
 * <ul>
 *   <li>{@code zero}: scaled to zero by removing its container, so a wake is a create and a start.
 *       Measured alongside: the same container's own create + start → first 200, made directly
 *       with docker-java (no engine, no gateway). Overhead = first response − that.
 *   <li>{@code stopped}: {@code keep-stopped: 1}, so a wake starts the kept stopped container.
 *       Alongside: a container of its own, made and run once before, started → first 200.
 *   <li>{@code paused}: {@code pause-after}, so a wake unpauses. Its figure is request → response.
 * </ul>
 *
 * <p>Each round measures every tier, the container's own start first on even rounds and last on
 * odd ones; a wake is one request through the gateway on a new connection, sent once the engine
 * has the target in the tier's state and the group has no running container left. The journal's
 * entry for the wake says which tier it came from; it is recorded with each sample.
 *
 * <p>Each wake is also split into its parts from wall-clock stamps ({@link WakeStamps} at the
 * gateway's and the engine's seams, the journal, and the container's own stamp of the moment it
 * execs {@code httpd}, written to {@code /www/ready} and read afterwards): request → held at the
 * gateway → WAKING decision → the replica's start journaled (the create/start calls returned) |
 * container ready → the orchestrator observes it ready → route at the gateway (the ACTIVE decision
 * publishes it) → held request handed over → response. The orchestrator call the wake waits on
 * ({@code resume} from PAUSED, {@code scale} otherwise) is stamped where it begins and returns
 * ({@link StampedOrchestrators}); from PAUSED the route may be published before it returns.
 */
@Command(name = "DockerWakeBenchmark", mixinStandardHelpOptions = true,
        description = "Measures Docker wakes through the gateway next to the container's own start.")
public final class DockerWakeBenchmark implements Callable<Integer> {
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(90);
    private static final int PORT = 80;

    @Option(names = "--host", description = "the engine API (default $DOCKER_HOST, else unix:///run/podman/podman.sock)")
    @Nullable String host;

    @Option(names = "--image", defaultValue = "localhost/zeroscale/busybox:test", description = "a busybox image with /www (default ${DEFAULT-VALUE})")
    String image;

    @Option(names = "--wakes", defaultValue = "20", description = "measured rounds, one wake per tier each (default ${DEFAULT-VALUE})")
    int wakes;

    @Option(names = "--warmup", defaultValue = "1", description = "rounds before measuring, reported apart (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--start-delay", defaultValue = "1s", converter = WakePathBenchmark.DurationConverter.class,
            description = "how long the container sleeps before serving (default ${DEFAULT-VALUE})")
    Duration startDelay;

    @Option(names = "--tiers", defaultValue = "zero,stopped,paused", split = ",", description = "tiers to measure (default ${DEFAULT-VALUE})")
    List<String> tiers;

    @Option(names = "--out", defaultValue = "benchmarks/results/docker-wake.json", description = "JSON results (default ${DEFAULT-VALUE})")
    Path out;

    /**
     * The one HTTP client of the run, for the wakes through the gateway and the container's own
     * start alike: built and warmed before the first measured request, so that neither side counts a
     * client's construction (its selector thread, its classes) in its figure.
     */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    public static void main(String[] args) {
        System.exit(new CommandLine(new DockerWakeBenchmark()).execute(args));
    }

    private List<String> command() {
        double seconds = startDelay.toMillis() / 1000.0;
        // The gateway forwards the path as it came (/zero, /stopped, /paused): each is a file to serve.
        // /www/ready: the container's own wall clock (µs, ash's $EPOCHREALTIME: busybox's date has no %N)
        // just before httpd's exec, i.e. its ready moment give or take httpd's bind and listen.
        return List.of("/bin/sh", "-c", String.format(Locale.ROOT,
                "mkdir -p /www && for t in zero stopped paused; do echo ok > /www/$t; done; sleep %.3f; echo $EPOCHREALTIME > /www/ready;"
                        + " exec /bin/httpd -f -p %d -h /www",
                seconds, PORT));
    }

    @Override
    public Integer call() throws Exception {
        String engineHost = host != null ? host
                : System.getenv("DOCKER_HOST") != null ? System.getenv("DOCKER_HOST") : "unix:///run/podman/podman.sock";
        for (String tier : tiers) {
            if (!List.of("zero", "stopped", "paused").contains(tier)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--tiers: unknown tier '" + tier
                        + "'; use zero, stopped and/or paused");
            }
        }
        DockerClient docker = DockerClientImpl.getInstance(
                DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(engineHost).build(),
                new ZerodepDockerHttpClient.Builder().dockerHost(URI.create(engineHost)).build());
        try {
            docker.inspectImageCmd(image).exec();
        } catch (RuntimeException e) {
            System.err.println("DockerWakeBenchmark: image " + image + " is not on " + engineHost + " (" + e.getMessage()
                    + "); set it up with: source scripts/peers.sh && source scripts/peers.d/podman.sh && zs_peer_podman");
            return 1;
        }
        String run = Long.toHexString(System.nanoTime() & 0xffffff);
        Map<String, TargetSpec> specs = new LinkedHashMap<>();
        for (String tier : tiers) {
            specs.put(tier, TargetSpec.fromConfig("wake-" + tier + "-" + run, YamlConfig.parse(targetYaml(tier), "DockerWakeBenchmark",
                    "targets.wake-" + tier + "-" + run)));
        }
        List<Map<String, Object>> samples = new ArrayList<>();
        List<Map<String, Object>> warm = new ArrayList<>();
        Path data = Files.createTempDirectory("zeroscale-docker-wake-");
        List<String> ownContainers = new ArrayList<>();
        // The docker orchestrator behind a proxy that stamps the calls a wake waits on (resume, scale).
        WakeStamps.Calls calls = new WakeStamps.Calls();
        Zeroscale.Builder builder = Zeroscale.builder()
                .dataDirectory(data)
                .pluginsFrom(DockerWakeBenchmark.class.getClassLoader())
                .plugin(new StampedOrchestrators(new DockerOrchestratorFactory(), calls))
                .orchestrator("docker", Config.of("orchestrators.docker", Map.of("type", "stamped-docker", "host", engineHost)));
        specs.values().forEach(builder::target);
        try (http; Zeroscale zeroscale = builder.build()) {
            zeroscale.start();
            GatewayConfig config = GatewayConfig.builder().listen("127.0.0.1", 0).drainTimeout(Duration.ofSeconds(1)).build();
            WakeStamps stamps = WakeStamps.on(zeroscale.engine(), zeroscale.trafficHub(), calls);
            Gateway.Builder gb = Gateway.builder(stamps).config(config);
            specs.forEach((tier, spec) -> gb.route(GatewayRoute.path(spec.ref(), "/" + tier)));
            try (Gateway gateway = gb.start()) {
                Queue<JournalEntry> journal = new ConcurrentLinkedQueue<>();
                zeroscale.journal().subscribe(journal::add);
                warmClient(http, URI.create("http://127.0.0.1:" + gateway.port() + "/not-routed"));
                if (tiers.contains("paused")) {
                    // The paused tier starts at zero: one unmeasured wake gives it a container to pause.
                    firstResponse(http, URI.create("http://127.0.0.1:" + gateway.port() + "/paused"));
                }
                String stoppedOwn = tiers.contains("stopped") ? ownStoppedContainer(docker, run) : null;
                if (stoppedOwn != null) {
                    ownContainers.add(stoppedOwn);
                }
                System.out.printf("engine + gateway on 127.0.0.1:%d, docker host %s, image %s, start delay %s%n", gateway.port(),
                        engineHost, image, Durations.format(startDelay));
                for (int round = 1; round <= warmup + wakes; round++) {
                    boolean measured = round > warmup;
                    for (String tier : tiers) {
                        TargetSpec spec = Objects.requireNonNull(specs.get(tier));
                        awaitTier(zeroscale, docker, spec, tier);
                        boolean ownFirst = round % 2 == 0;
                        Double own = null;
                        if (ownFirst && !tier.equals("paused")) {
                            own = ownStart(docker, tier, run, stoppedOwn, ownContainers);
                        }
                        journal.clear();
                        stamps.arm(spec.ref());
                        URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/" + tier);
                        Instant sentAt = Clock.systemUTC().instant();
                        double first = firstResponse(http, uri);
                        Instant receivedAt = Clock.systemUTC().instant();
                        WakeStamps.Wake wake = stamps.of(spec.ref());
                        Instant containerReady = tier.equals("paused") ? null : containerReady(http, docker, spec);
                        if (!ownFirst && !tier.equals("paused")) {
                            own = ownStart(docker, tier, run, stoppedOwn, ownContainers);
                        }
                        Map<String, Object> sample = new LinkedHashMap<>();
                        sample.put("round", round);
                        sample.put("tier", tier);
                        sample.put("firstResponseMs", round3(first));
                        sample.put("ownStartMs", own == null ? null : round3(own));
                        sample.put("overheadMs", own == null ? null : round3(first - own));
                        sample.put("ownMeasuredFirst", ownFirst);
                        sample.put("journalTier", journalTier(journal, spec, tier, sentAt));
                        sample.put("requestToWakingMs", sinceMs(journal, spec, e -> e.state().equals("WAKING"), sentAt));
                        sample.put("requestToActiveMs", sinceMs(journal, spec, e -> e.state().equals("ACTIVE"), sentAt));
                        Instant waking = at(journal, spec, e -> e.kind() == JournalEntry.Kind.DECISION && e.state().equals("WAKING"), sentAt);
                        Instant started = at(journal, spec, e -> e.message().contains("started from tier '"), sentAt);
                        sample.put("requestToHeldMs", WakeStamps.between(sentAt, wake.held));
                        sample.put("heldToWakingMs", WakeStamps.between(wake.held, waking));
                        sample.put("wakingToStartJournaledMs", WakeStamps.between(waking, started));
                        sample.put("orchestratorCall", wake.call);
                        sample.put("wakingToCallMs", WakeStamps.between(waking, wake.callBegan));
                        sample.put("callMs", WakeStamps.between(wake.callBegan, wake.callReturned));
                        sample.put("callToObservedMs", WakeStamps.between(wake.callBegan, wake.observedReady));
                        sample.put("wakingToContainerReadyMs", WakeStamps.between(waking, containerReady));
                        sample.put("containerReadyToObservedMs", WakeStamps.between(containerReady, wake.observedReady));
                        sample.put("wakingToObservedMs", WakeStamps.between(waking, wake.observedReady));
                        sample.put("observedToRouteMs", WakeStamps.between(wake.observedReady, wake.routed));
                        sample.put("routeToReleasedMs", WakeStamps.between(wake.routed, wake.released));
                        sample.put("releasedToResponseMs", WakeStamps.between(wake.released, receivedAt));
                        (measured ? samples : warm).add(sample);
                        System.out.printf("%s %2d %-7s first response %8.1f ms, own start %8s ms -> overhead %7s ms"
                                        + " (journal: %s; request->held %s ms, ->WAKING %s, ->%s call %s (took %s), ->start journaled %s,"
                                        + " ->container ready %s"
                                        + " | ready->observed %s, ->route %s, ->released %s, ->response %s)%n",
                                measured ? "wake  " : "warmup", measured ? round - warmup : round, tier, first,
                                own == null ? "-" : String.format(Locale.ROOT, "%.1f", own),
                                own == null ? "-" : String.format(Locale.ROOT, "%.1f", first - own), sample.get("journalTier"),
                                sample.get("requestToHeldMs"), sample.get("heldToWakingMs"), wake.call, sample.get("wakingToCallMs"),
                                sample.get("callMs"), sample.get("wakingToStartJournaledMs"),
                                sample.get("wakingToContainerReadyMs"), sample.get("containerReadyToObservedMs"),
                                sample.get("observedToRouteMs"), sample.get("routeToReleasedMs"),
                                sample.get("releasedToResponseMs"));
                    }
                }
                // No wait for the last wakes to idle out: the containers are removed below.
            }
        } finally {
            for (String id : ownContainers) {
                removeQuietly(docker, id);
            }
            for (TargetSpec spec : specs.values()) {
                for (Container c : groupContainers(docker, spec)) {
                    removeQuietly(docker, c.getId());
                }
            }
            docker.close();
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("date", LocalDate.now(Clock.systemUTC()).toString());
        Map<String, Object> setup = new LinkedHashMap<>();
        setup.put("host", engineHost);
        setup.put("image", image);
        setup.put("command", command());
        setup.put("startDelayMs", startDelay.toMillis());
        setup.put("wakes", wakes);
        setup.put("warmupRounds", warmup);
        setup.put("tiers", tiers);
        setup.put("readiness", "the docker orchestrator's defaults: TCP probe, startup-interval 10ms, interval 250ms");
        result.put("setup", setup);
        result.put("samples", samples);
        result.put("warmup", warm);
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        System.out.println("results: " + out);
        return 0;
    }

    private String targetYaml(String tier) {
        String extraWorkload = tier.equals("stopped") ? "  keep-stopped: 1\n" : "";
        // The paused tier pauses after 1 s idle and stays paused (idle to zero only after an hour).
        String idle = tier.equals("paused") ? "pause-after: 1s\n  idle: 1h" : "idle: 1s";
        StringBuilder cmd = new StringBuilder("[");
        for (String part : command()) {
            cmd.append(cmd.length() > 1 ? ", " : "").append('"').append(part).append('"');
        }
        cmd.append(']');
        return """
                orchestrator: docker
                workload:
                  kind: ContainerGroup
                  image: %s
                  command: %s
                  port: %d
                  stop-grace: 1s
                %spolicy:
                  automaton: zero-to-n
                  replicas: { min: 0, max: 1 }
                  %s
                  drain-timeout: 1s
                  wake-timeout: 1m
                """.formatted(image, cmd, PORT, extraWorkload, idle);
    }

    /** Waits until the engine has the target in the tier's resting state and no container of it runs. */
    private static void awaitTier(Zeroscale zeroscale, DockerClient docker, TargetSpec spec, String tier) throws InterruptedException {
        String state = tier.equals("paused") ? "PAUSED" : "ZERO";
        long deadline = System.nanoTime() + STATE_TIMEOUT.toNanos();
        while (true) {
            TargetStatus status = zeroscale.statuses().stream().filter(s -> s.name().equals(spec.ref().name())).findFirst().orElseThrow();
            if (status.started() && status.state().equals(state)) {
                List<Container> containers = groupContainers(docker, spec);
                boolean settled = switch (tier) {
                    case "paused" -> !containers.isEmpty() && containers.stream().allMatch(c -> "paused".equals(c.getState()));
                    case "stopped" -> containers.stream().noneMatch(c -> "running".equals(c.getState()) || "paused".equals(c.getState()))
                            && containers.stream().anyMatch(c -> "exited".equals(c.getState()));
                    default -> containers.isEmpty();
                };
                // The first round of the stopped tier has nothing kept yet: its wake is a create.
                if (settled || (tier.equals("stopped") && containers.isEmpty() && status.observedReplicas() == 0)) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(spec.ref().name() + " did not reach " + state + " within " + STATE_TIMEOUT
                        + "; last status: " + status);
            }
            Thread.sleep(20);
        }
    }

    private static List<Container> groupContainers(DockerClient docker, TargetSpec spec) {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of("io.zeroscale.group", spec.ref().toString())).exec();
    }

    /** The container's own start: create + start (tier zero) or start of a stopped one → first 200, in ms. */
    private double ownStart(DockerClient docker, String tier, String run, @Nullable String stoppedOwn, List<String> ownContainers)
            throws InterruptedException {
        if (tier.equals("stopped")) {
            String id = Objects.requireNonNull(stoppedOwn, "stoppedOwn");
            long start = System.nanoTime();
            docker.startContainerCmd(id).exec();
            double ms = untilOk(http, start, hostPort(docker, id));
            stopNow(docker, id);
            return ms;
        }
        long start = System.nanoTime();
        String id = create(docker, "zs-own-zero-" + run + "-" + Long.toHexString(System.nanoTime() & 0xfffff));
        ownContainers.add(id);
        docker.startContainerCmd(id).exec();
        double ms = untilOk(http, start, hostPort(docker, id));
        removeQuietly(docker, id);
        ownContainers.remove(id);
        return ms;
    }

    /** A container of our own for the stopped tier: created, run once until it serves, stopped. */
    private String ownStoppedContainer(DockerClient docker, String run) throws InterruptedException {
        String id = create(docker, "zs-own-stopped-" + run);
        docker.startContainerCmd(id).exec();
        untilOk(http, System.nanoTime(), hostPort(docker, id));
        stopNow(docker, id);
        return id;
    }

    private String create(DockerClient docker, String name) {
        ExposedPort exposed = ExposedPort.tcp(PORT);
        return docker.createContainerCmd(image).withName(name).withCmd(command()).withExposedPorts(exposed)
                .withHostConfig(HostConfig.newHostConfig().withPortBindings(new PortBinding(Ports.Binding.bindIp("127.0.0.1"), exposed)))
                .exec().getId();
    }

    /** busybox httpd ignores SIGTERM as PID 1: kill it, as the group's stop does after its grace. */
    private static void stopNow(DockerClient docker, String id) {
        docker.killContainerCmd(id).exec();
        long deadline = System.nanoTime() + STATE_TIMEOUT.toNanos();
        while (Boolean.TRUE.equals(docker.inspectContainerCmd(id).exec().getState().getRunning())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("container " + id + " did not stop");
            }
            Thread.onSpinWait();
        }
    }

    private static int hostPort(DockerClient docker, String id) {
        Ports.Binding[] bindings = docker.inspectContainerCmd(id).exec().getNetworkSettings().getPorts().getBindings()
                .get(ExposedPort.tcp(PORT));
        if (bindings == null || bindings.length == 0) {
            throw new IllegalStateException("container " + id + " publishes no port " + PORT);
        }
        return Integer.parseInt(bindings[0].getHostPortSpec());
    }

    /** Polls GET /zero (a file the command writes) every millisecond until it answers 200; returns ms since {@code start}. */
    private static double untilOk(HttpClient client, long start, int port) throws InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + port + "/zero");
        long deadline = start + STATE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                int status = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    return (System.nanoTime() - start) / 1e6;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("nothing answered 200 on port " + port + " within " + STATE_TIMEOUT);
    }

    private static double firstResponse(HttpClient client, URI uri) throws IOException, InterruptedException {
        long sent = System.nanoTime();
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        double ms = (System.nanoTime() - sent) / 1e6;
        if (response.statusCode() != 200) {
            throw new IllegalStateException("wake request to " + uri + " answered " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return ms;
    }

    /** Loads the shared client's and the gateway's request path (a 404: no route, nothing wakes) before the first wake. */
    private static void warmClient(HttpClient client, URI notRouted) throws IOException, InterruptedException {
        client.send(HttpRequest.newBuilder(notRouted).build(), HttpResponse.BodyHandlers.discarding());
    }

    /** Which tier the journal says this wake came from: the replica's start entry, or the wake from PAUSED. */
    private static String journalTier(Queue<JournalEntry> journal, TargetSpec spec, String tier, Instant since) {
        for (JournalEntry entry : journal) {
            if (!entry.target().equals(spec.ref()) || entry.at().isBefore(since)) {
                continue;
            }
            String message = entry.message();
            int at = message.indexOf("started from tier '");
            if (at >= 0) {
                int from = at + "started from tier '".length();
                return message.substring(from, message.indexOf('\'', from));
            }
            if (tier.equals("paused") && message.startsWith("PAUSED -> WAKING")) {
                return "paused";
            }
        }
        return "none";
    }

    /** When the journal first had an entry of {@code spec}'s matching {@code which} at or after {@code since}. */
    private static @Nullable Instant at(Queue<JournalEntry> journal, TargetSpec spec, Predicate<JournalEntry> which, Instant since) {
        for (JournalEntry entry : journal) {
            if (entry.target().equals(spec.ref()) && !entry.at().isBefore(since) && which.test(entry)) {
                return entry.at();
            }
        }
        return null;
    }

    /**
     * The container's own stamp of its ready moment ({@code /www/ready}, written just before httpd's
     * exec, to the µs), read from the group's running container directly; null when the shell has no
     * {@code $EPOCHREALTIME} or nothing runs.
     */
    private static @Nullable Instant containerReady(HttpClient client, DockerClient docker, TargetSpec spec) throws InterruptedException {
        for (Container c : groupContainers(docker, spec)) {
            if (!"running".equals(c.getState())) {
                continue;
            }
            URI uri = URI.create("http://127.0.0.1:" + hostPort(docker, c.getId()) + "/ready");
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                String body = response.body().strip();
                if (response.statusCode() != 200 || !body.matches("\\d{10}\\.\\d{6}")) {
                    return null;
                }
                int dot = body.indexOf('.');
                return Instant.ofEpochSecond(Long.parseLong(body.substring(0, dot)), Long.parseLong(body.substring(dot + 1)) * 1_000L);
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    private static @Nullable Double sinceMs(Queue<JournalEntry> journal, TargetSpec spec, Predicate<JournalEntry> which, Instant since) {
        for (JournalEntry entry : journal) {
            if (entry.target().equals(spec.ref()) && entry.kind() == JournalEntry.Kind.DECISION && !entry.at().isBefore(since) && which.test(entry)) {
                return round3(Duration.between(since, entry.at()).toNanos() / 1e6);
            }
        }
        return null;
    }

    private static void removeQuietly(DockerClient docker, String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).exec();
        } catch (RuntimeException e) {
            // Already gone.
        }
    }

    private static double round3(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }
}
