package io.zeroscale.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * moto's server, the AWS emulator, started by a test on a free 127.0.0.1 port picked with {@link
 * FreePorts}, its log under a directory the test owns. Point AWS SDK clients at {@link #url()}
 * with region {@code us-east-1} and any static credentials (moto checks no signature).
 *
 * <p>When {@code moto_server} is not on {@code PATH} the test fails, never skips, with a message
 * naming the install command ({@value #INSTALL_HINT}; {@code scripts/peers.d/moto.sh} runs it).
 * {@link #close()} stops the server; its state (groups, instances) goes with it.
 */
public final class MotoPeer implements AutoCloseable {
    static final String INSTALL_HINT = "install it with: python3 -m pip install 'moto[server]>=5.1,<6'";

    private final Path log;
    private final int port;
    private @Nullable Process process;

    private MotoPeer(Path log, int port) {
        this.log = log;
        this.port = port;
    }

    /**
     * Starts a server with its log in {@code home} and returns once it answers HTTP (about 2 s on
     * an idle machine; the wait is bounded at 60 s).
     */
    public static MotoPeer start(Path home) {
        String binary = binary();
        try {
            Files.createDirectories(home);
            MotoPeer peer = new MotoPeer(home.resolve("moto_server.log"), FreePorts.next());
            peer.launch(binary);
            return peer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code moto_server} on PATH, or a test failure that says how to install it. */
    static String binary() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "moto_server");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("'moto_server' is not on PATH; " + INSTALL_HINT);
    }

    private void launch(String binary) throws IOException {
        Process started = new ProcessBuilder(List.of(binary, "-H", "127.0.0.1", "-p", Integer.toString(port)))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        process = started;
        await("moto_server answering on port " + port).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!started.isAlive()) {
                        fail("moto_server exited with " + started.exitValue() + ":\n" + Files.readString(log, UTF_8));
                    }
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    /** Forgets every resource (moto's {@code POST /moto-api/reset}), as a fresh server would. */
    public void reset() {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url() + "/moto-api/reset"))
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                fail("moto reset answered " + response.statusCode() + ": " + response.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while resetting moto");
        }
    }

    /** The port it listens on at 127.0.0.1. */
    public int port() {
        return port;
    }

    /** Its base URL, {@code http://127.0.0.1:<port>}: the SDK's endpoint override. */
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The server's output so far, for failure messages. */
    public String log() {
        try {
            return Files.readString(log, UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL after 10 s). Idempotent. */
    @Override
    public void close() {
        Process running = process;
        if (running == null) {
            return;
        }
        process = null;
        running.destroy();
        try {
            if (!running.waitFor(10, TimeUnit.SECONDS)) {
                running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.destroyForcibly();
        }
    }
}
