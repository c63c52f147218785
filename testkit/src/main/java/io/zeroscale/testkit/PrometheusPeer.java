package io.zeroscale.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real Prometheus (the Debian package's {@code prometheus} binary, and {@code promtool} for
 * backfilling) started by a test on a free 127.0.0.1 port picked with {@link FreePorts}, with its
 * config, data and logs under a directory the test owns. It can be stopped and started again on the
 * same port and data (an outage), or frozen with SIGSTOP (a hang).
 *
 * <p>When a binary is not on {@code PATH} the test fails, never skips, with a message naming it and
 * saying "install it with: apt-get install -y prometheus". {@link #close()} stops the server.
 */
public final class PrometheusPeer implements AutoCloseable {
    static final String INSTALL_HINT = "install it with: apt-get install -y prometheus";

    private final Path home;
    private final Path dataDir;
    private final List<String> extraFlags;
    private final int port;
    private @Nullable Process process;
    private int starts;

    private PrometheusPeer(Path home, Path dataDir, List<String> extraFlags, int port) {
        this.home = home;
        this.dataDir = dataDir;
        this.extraFlags = List.copyOf(extraFlags);
        this.port = port;
    }

    /**
     * Backfills {@code openMetrics} with promtool into a new data directory under {@code home} and
     * starts a server on it that scrapes nothing. Retention is long so old backfilled samples stay
     * queryable; {@code webConfig}, when given, is Prometheus' web config file (TLS, basic auth).
     */
    public static PrometheusPeer backfilled(Path home, String openMetrics, @Nullable Path webConfig) {
        try {
            Files.createDirectories(home);
            Path dataDir = home.resolve("data");
            Files.createDirectories(dataDir);
            Path input = home.resolve("data.om");
            Files.writeString(input, openMetrics, UTF_8);
            run(List.of(binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", input.toString(), dataDir.toString()),
                    home.resolve("promtool.log"));
            Files.writeString(home.resolve("prometheus.yml"), "global:\n  scrape_interval: 1h\n", UTF_8);
            List<String> flags = new ArrayList<>(List.of("--storage.tsdb.retention.time=100y"));
            if (webConfig != null) {
                flags.add("--web.config.file=" + webConfig);
            }
            PrometheusPeer peer = new PrometheusPeer(home, dataDir, flags, FreePorts.next());
            peer.start();
            return peer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a server under {@code home} that scrapes {@code scrapeTarget} (host:port) every second. */
    public static PrometheusPeer scraping(Path home, String scrapeTarget) {
        binary("prometheus");
        try {
            Path dataDir = home.resolve("data");
            Files.createDirectories(dataDir);
            Files.writeString(home.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                    scrape_configs:
                      - job_name: it
                        static_configs:
                          - targets: ['%s']
                    """.formatted(scrapeTarget), UTF_8);
            PrometheusPeer peer = new PrometheusPeer(home, dataDir, List.of(), FreePorts.next());
            peer.start();
            return peer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The binary on PATH, or a test failure that says how to install it. */
    static String binary(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("'" + name + "' is not on PATH; " + INSTALL_HINT);
    }

    private static void run(List<String> command, Path log) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                fail(String.join(" ", command) + " failed:\n" + Files.readString(log, UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            fail("interrupted while running " + command);
        }
    }

    /** Starts (again) on the same port and data, and waits until it serves queries. */
    public void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of(binary("prometheus"),
                "--config.file=" + home.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dataDir,
                "--web.listen-address=127.0.0.1:" + port));
        command.addAll(extraFlags);
        // A log per start keeps the output of a run that died before a restart.
        starts++;
        Path log = home.resolve("prometheus-" + starts + ".log");
        try {
            Process started = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            process = started;
            await("prometheus ready on port " + port).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (!started.isAlive()) {
                            fail("prometheus exited with " + started.exitValue() + ":\n" + Files.readString(log, UTF_8));
                        }
                        return Files.readString(log, UTF_8).contains("Server is ready to receive web requests");
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the server (SIGTERM) and waits until it has exited: its port refuses connections. */
    public void stop() {
        Process running = process;
        if (running == null) {
            return;
        }
        // A frozen process would never handle SIGTERM.
        resume();
        running.destroy();
        try {
            if (!running.waitFor(30, TimeUnit.SECONDS)) {
                running.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.destroyForcibly();
        }
        process = null;
    }

    /** Freezes the process (SIGSTOP): it keeps its socket, so connections open but nothing answers. */
    public void pause() {
        signal("-STOP");
    }

    /** Undoes {@link #pause()}. */
    public void resume() {
        signal("-CONT");
    }

    private void signal(String signal) {
        Process running = process;
        if (running == null || !running.isAlive()) {
            return;
        }
        try {
            run(List.of("kill", signal, Long.toString(running.pid())), home.resolve("kill.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port it listens on at 127.0.0.1, the same across restarts. */
    public int port() {
        return port;
    }

    /** Its base URL with {@code scheme} ({@code https} when started with a TLS web config). */
    public String url(String scheme) {
        return scheme + "://127.0.0.1:" + port;
    }

    /** Its plain-HTTP base URL. */
    public String url() {
        return url("http");
    }

    /** Stops the server. */
    @Override
    public void close() {
        stop();
    }
}
