package io.zeroscale.plugin.prometheus;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real Prometheus (the Debian package's binary) started by a test on a free loopback port, over
 * a data directory the test backfilled with promtool. Fails, never skips, when the binary is missing.
 */
final class PrometheusServer implements AutoCloseable {
    static final String INSTALL_HINT = "install it with: apt-get install -y prometheus";

    private final Path home;
    private final Path dataDir;
    private final @Nullable Path webConfig;
    private final int port;
    private @Nullable Process process;
    private int starts;

    private PrometheusServer(Path home, Path dataDir, @Nullable Path webConfig, int port) {
        this.home = home;
        this.dataDir = dataDir;
        this.webConfig = webConfig;
        this.port = port;
    }

    /** Backfills {@code openMetrics} into a new data directory under {@code home} and starts a server on it. */
    static PrometheusServer start(Path home, String openMetrics, @Nullable Path webConfig) {
        try {
            Files.createDirectories(home);
            Path dataDir = home.resolve("data");
            Files.createDirectories(dataDir);
            Path input = home.resolve("data.om");
            Files.writeString(input, openMetrics, UTF_8);
            run(List.of(binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", input.toString(), dataDir.toString()),
                    home.resolve("promtool.log"));
            Files.writeString(home.resolve("prometheus.yml"), "global:\n  scrape_interval: 1h\n", UTF_8);
            PrometheusServer server = new PrometheusServer(home, dataDir, webConfig, freePort());
            server.start();
            return server;
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

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Starts (again) on the same port and data. */
    void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of(binary("prometheus"),
                "--config.file=" + home.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dataDir,
                "--storage.tsdb.retention.time=100y",
                "--web.listen-address=127.0.0.1:" + port));
        if (webConfig != null) {
            command.add("--web.config.file=" + webConfig);
        }
        Path log = home.resolve("prometheus-" + (++starts) + ".log");
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

    /** Stops the server and waits until it has exited. */
    void stop() {
        Process running = process;
        if (running == null) {
            return;
        }
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
    void pause() {
        signal("-STOP");
    }

    /** Undoes {@link #pause()}. */
    void resume() {
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

    int port() {
        return port;
    }

    String url(String scheme) {
        return scheme + "://127.0.0.1:" + port;
    }

    String url() {
        return url("http");
    }

    @Override
    public void close() {
        stop();
    }
}
