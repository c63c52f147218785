package io.zeroscale.daemon.it;

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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real Prometheus (the Debian package's binary) on a free loopback port, scraping the targets a
 * test gives it every second. It can be stopped and started again on the same port and data, as
 * an outage. Fails, never skips, when the binary is missing.
 */
final class PrometheusPeer implements AutoCloseable {
    static final String INSTALL_HINT = "install it with: apt-get install -y prometheus";

    private final Path home;
    private final int port;
    private @Nullable Process process;
    private int starts;

    private PrometheusPeer(Path home, int port) {
        this.home = home;
        this.port = port;
    }

    /** Starts a server under {@code home} that scrapes {@code scrapeTarget} (host:port) every second. */
    static PrometheusPeer start(Path home, String scrapeTarget) {
        String binary = binary();
        try {
            Files.createDirectories(home.resolve("data"));
            Files.writeString(home.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                    scrape_configs:
                      - job_name: it
                        static_configs:
                          - targets: ['%s']
                    """.formatted(scrapeTarget), UTF_8);
            PrometheusPeer peer = new PrometheusPeer(home, freePort());
            peer.start(binary);
            return peer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The binary on PATH, or a test failure that says how to install it. */
    private static String binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "prometheus");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("'prometheus' is not on PATH; " + INSTALL_HINT);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Starts (again) on the same port and data, and waits until it serves queries. */
    void start() {
        start(binary());
    }

    private void start(String binary) {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = List.of(binary,
                "--config.file=" + home.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + home.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port);
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

    /** Stops the server (SIGTERM) and waits until it has exited: its port refuses connections. */
    void stop() {
        Process running = process;
        if (running == null) {
            return;
        }
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

    String url() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        stop();
    }
}
