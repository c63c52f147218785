package io.zeroscale.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The daemon budget: start to ready and resident memory with 1,000 targets.
 *
 * <p>Starts the daemon as a user does ({@code bin/zeroscale run --config FILE} of the unpacked
 * distribution, a new JVM each time, launcher script included) with a generated config of
 * {@code --targets} process targets at zero (each with its own route), and measures:
 *
 * <ul>
 *   <li><b>start to ready</b>: the moment before the process is spawned to the first {@code 200}
 *       of {@code GET /ready} (the gateway and the API listen), polled every millisecond on one
 *       kept-alive connection once the API port accepts;
 *   <li><b>start to all targets observed</b>: to the first {@code GET /targets} in which every
 *       target reports {@code started} (polled every 50 ms after ready);
 *   <li><b>CPU time to ready</b> (and to all targets observed): user + system seconds of the
 *       daemon's process from {@code /proc/PID/stat}, every thread (JIT and GC included), less
 *       sensitive to a loaded machine than the wall time;
 *   <li><b>resident memory</b>: the JVM's {@code VmRSS} from {@code /proc/PID/status}
 *       {@code --settle} after every target was observed, and its peak ({@code VmHWM}).
 * </ul>
 *
 * <p>Then SIGTERM and a wait for the exit. {@code --warmup} starts first (the page cache and the
 * file system warm, reported apart), then {@code --starts} measured ones, every one kept with the
 * load average at its start. The daemon runs with the launcher's defaults ({@code ZEROSCALE_OPTS}
 * is passed through if set, and recorded).
 */
@Command(name = "StartupBenchmark", mixinStandardHelpOptions = true,
        description = "Measures the daemon's start to ready and resident memory with many targets.")
public final class StartupBenchmark implements Callable<Integer> {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    /** USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on every Linux architecture the JDK runs on. */
    private static final int CLOCK_TICKS_PER_SECOND = 100;

    @Option(names = "--targets", defaultValue = "1000", description = "targets in the config (default ${DEFAULT-VALUE})")
    int targets;

    @Option(names = "--starts", defaultValue = "10", description = "measured starts (default ${DEFAULT-VALUE})")
    int starts;

    @Option(names = "--warmup", defaultValue = "1", description = "starts before measuring, reported apart (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--settle", defaultValue = "2s", converter = WakePathBenchmark.DurationConverter.class,
            description = "wait after every target was observed before reading the resident memory (default ${DEFAULT-VALUE})")
    Duration settle;

    @Option(names = "--distribution", required = true, description = "the unpacked distribution (its bin/zeroscale is started)")
    Path distribution;

    @Option(names = "--out", defaultValue = "benchmarks/results/startup.json", description = "JSON results (default ${DEFAULT-VALUE})")
    Path out;

    private final ObjectMapper json = new ObjectMapper();

    public static void main(String[] args) {
        System.exit(new CommandLine(new StartupBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path launcher = distribution.resolve("bin/zeroscale");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException(launcher + " is missing; build the distribution: mvn -B -ntp package -DskipTests -pl assembly -am");
        }
        Path work = Files.createTempDirectory("zeroscale-startup-");
        try {
            int gatewayPort = freePort();
            int apiPort = freePort();
            Path config = work.resolve("zeroscale.yaml");
            Files.writeString(config, config(gatewayPort, apiPort, work.resolve("data")));
            URI api = URI.create("http://127.0.0.1:" + apiPort);
            System.out.printf(Locale.ROOT, "%s run --config %s: %d targets, %d warm-up + %d measured starts%n",
                    launcher, config, targets, warmup, starts);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            List<Sample> warm = new ArrayList<>();
            List<Sample> samples = new ArrayList<>();
            for (int i = 0; i < warmup + starts; i++) {
                Sample sample = startOnce(launcher, config, api, client, work.resolve("daemon-" + i + ".log"));
                (i < warmup ? warm : samples).add(sample);
                System.out.printf(Locale.ROOT, "%s %d: ready %.1f ms (CPU %.2f s), all targets observed %.1f ms (CPU %.2f s), RSS %.1f MB (peak %.1f MB), load %.2f%n",
                        i < warmup ? "warm-up" : "start", i < warmup ? i + 1 : i - warmup + 1, sample.startToReadyMs(),
                        sample.cpuToReadySeconds(), sample.startToTargetsObservedMs(), sample.cpuToTargetsObservedSeconds(),
                        sample.rssBytes() / 1048576.0, sample.rssPeakBytes() / 1048576.0, sample.loadAverage());
            }
            Map<String, Object> setup = new LinkedHashMap<>();
            setup.put("targets", targets);
            setup.put("starts", starts);
            setup.put("warmup", warmup);
            setup.put("settleMs", settle.toMillis());
            setup.put("launcher", launcher.toString());
            setup.put("zeroscaleOpts", System.getenv().getOrDefault("ZEROSCALE_OPTS", ""));
            setup.put("target", "process orchestrator, zero-to-n, replicas 0..1, a route each, at zero (nothing runs)");
            Map<String, Object> results = new LinkedHashMap<>();
            results.put("setup", setup);
            results.put("warmup", warm);
            results.put("samples", samples);
            Files.createDirectories(out.toAbsolutePath().getParent());
            json.enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
            System.out.println("wrote " + out);
            return 0;
        } finally {
            WakePathBenchmark.deleteTree(work);
        }
    }

    private Sample startOnce(Path launcher, Path config, URI api, HttpClient client, Path log) throws Exception {
        double load = loadAverage();
        Instant startedAt = Instant.now();
        long start = System.nanoTime();
        Process daemon = new ProcessBuilder(launcher.toString(), "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Sample sample;
        try {
            long ready = waitForReady(daemon, api, client, log);
            double cpuAtReady = cpuSeconds(daemon.pid());
            long observed = waitForTargets(daemon, api, client, log);
            double cpuAtObserved = cpuSeconds(daemon.pid());
            // Pacing: resident memory once the daemon has settled, not while it is still starting.
            Thread.sleep(settle.toMillis());
            long[] memory = memory(daemon.pid());
            sample = new Sample(startedAt.toString(), load, millis(ready - start), millis(observed - start), cpuAtReady,
                    cpuAtObserved, memory[0], memory[1], daemon.pid());
        } catch (Exception | Error e) {
            daemon.destroyForcibly().waitFor();
            throw e;
        }
        daemon.destroy();
        if (!daemon.waitFor(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            daemon.destroyForcibly().waitFor();
            throw new IllegalStateException("the daemon did not stop within " + EXIT_TIMEOUT.toSeconds() + " s of SIGTERM; its log: " + log);
        }
        return sample;
    }

    /** Polls {@code GET /ready} every millisecond until 200; returns the nanoTime it answered. */
    private long waitForReady(Process daemon, URI api, HttpClient client, Path log) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(api.resolve("/ready")).timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            checkAlive(daemon, log);
            try {
                if (client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return System.nanoTime();
                }
            } catch (ConnectException | HttpTimeoutException e) {
                // Not listening yet.
            } catch (IOException e) {
                // Connection reset while the API starts: not listening yet either.
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("GET " + request.uri() + " not 200 within " + READY_TIMEOUT.toSeconds() + " s; log: " + log);
            }
            Thread.sleep(1); // pacing the poll
        }
    }

    /** Polls {@code GET /targets} until every target was observed; returns the nanoTime it answered so. */
    private long waitForTargets(Process daemon, URI api, HttpClient client, Path log) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(api.resolve("/targets")).timeout(Duration.ofSeconds(30)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            checkAlive(daemon, log);
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            long answered = System.nanoTime();
            if (response.statusCode() == 200 && allStarted(json.readTree(response.body()))) {
                return answered;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not every target observed within " + READY_TIMEOUT.toSeconds() + " s; log: " + log);
            }
            Thread.sleep(50); // pacing the poll: each answer lists every target
        }
    }

    private boolean allStarted(JsonNode body) {
        JsonNode list = body.isArray() ? body : body.path("targets");
        if (list.size() != targets) {
            return false;
        }
        for (JsonNode target : list) {
            if (!target.path("started").asBoolean(false)) {
                return false;
            }
        }
        return true;
    }

    private static void checkAlive(Process daemon, Path log) throws IOException {
        if (!daemon.isAlive()) {
            List<String> lines = Files.readAllLines(log);
            throw new IllegalStateException("the daemon exited with " + daemon.exitValue() + "; the end of its log:\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        }
    }

    /**
     * CPU time the daemon has used so far, in seconds: user + system of the JVM (every thread, the
     * launcher script before its exec included) and of the children it waited for (the launcher's
     * cksum and sed). Less sensitive to a loaded machine than the wall time, which waits for a core.
     */
    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // After "(comm)", which may hold spaces: state is field 3, utime..cstime are fields 14..17.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        long ticks = 0;
        for (int field = 14; field <= 17; field++) {
            ticks += Long.parseLong(fields[field - 3]);
        }
        return ticks / (double) CLOCK_TICKS_PER_SECOND;
    }

    /** VmRSS and VmHWM of the process, in bytes. */
    private static long[] memory(long pid) throws IOException {
        long rss = -1;
        long peak = -1;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = kilobytes(line) * 1024;
            } else if (line.startsWith("VmHWM:")) {
                peak = kilobytes(line) * 1024;
            }
        }
        if (rss < 0 || peak < 0) {
            throw new IllegalStateException("/proc/" + pid + "/status has no VmRSS or VmHWM");
        }
        return new long[] {rss, peak};
    }

    /** {@code VmRSS:     123456 kB} -> 123456. */
    private static long kilobytes(String line) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim().split("\\s+")[0]);
    }

    private String config(int gatewayPort, int apiPort, Path data) {
        StringBuilder yaml = new StringBuilder()
                .append("data-dir: ").append(data).append('\n')
                .append("orchestrators:\n  local: { type: process }\n")
                .append("gateway:\n  listen: 127.0.0.1:").append(gatewayPort).append('\n')
                .append("api:\n  listen: 127.0.0.1:").append(apiPort).append('\n')
                .append("targets:\n");
        for (int i = 0; i < targets; i++) {
            yaml.append("  t").append(i).append(":\n")
                    .append("    orchestrator: local\n")
                    .append("    workload: { kind: Process, command: [/usr/bin/python3, -m, http.server, '{port}'] }\n")
                    .append("    route: { path: /t").append(i).append("/ }\n")
                    .append("    policy: { automaton: zero-to-n, idle: 5m, replicas: { min: 0, max: 1 } }\n");
        }
        return yaml.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static double loadAverage() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1000.0) / 1000.0;
    }

    /**
     * One start.
     *
     * @param startedAt wall-clock time of the spawn
     * @param loadAverage the 1-minute load average just before it
     * @param startToReadyMs spawn -> first 200 of GET /ready
     * @param startToTargetsObservedMs spawn -> first GET /targets with every target started
     * @param cpuToReadySeconds CPU time (user + system, every thread) the daemon used until ready
     * @param cpuToTargetsObservedSeconds the same until every target was observed
     * @param rssBytes VmRSS once settled
     * @param rssPeakBytes VmHWM then
     * @param pid the daemon's process id
     */
    public record Sample(String startedAt, double loadAverage, double startToReadyMs, double startToTargetsObservedMs,
            double cpuToReadySeconds, double cpuToTargetsObservedSeconds, long rssBytes,
            long rssPeakBytes, long pid) {}
}
