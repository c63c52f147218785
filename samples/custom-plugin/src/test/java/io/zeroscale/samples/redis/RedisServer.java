package io.zeroscale.samples.redis;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.zeroscale.testkit.FreePorts;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis (Debian's {@code redis-server}) started by a test on a free 127.0.0.1 port, without
 * persistence, its log under a directory the test owns. It can be stopped and started again on the
 * same port (an outage; the data is gone, as after a crash without persistence). Commands go through
 * {@code redis-cli}, as an operator would type them.
 *
 * <p>A missing binary fails the test with the command that installs it.
 */
final class RedisServer implements AutoCloseable {
    static final String INSTALL_HINT = "install it with: apt-get install -y redis-server (or run ./scripts/test, whose peer script does)";

    private final Path home;
    private final int port;
    private Process process;

    private RedisServer(Path home, int port) {
        this.home = home;
        this.port = port;
    }

    static RedisServer start(Path home) {
        RedisServer server = new RedisServer(home, FreePorts.next());
        server.start();
        return server;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        try {
            Files.createDirectories(home);
            process = new ProcessBuilder(binary("redis-server"), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", home.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("redis.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(this::accepting);
    }

    /** Stops the server (SIGTERM, then SIGKILL) and waits until the port refuses connections. */
    synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
        await().atMost(Duration.ofSeconds(10)).until(() -> !accepting());
    }

    int port() {
        return port;
    }

    String url() {
        return "redis://127.0.0.1:" + port;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Runs one command with redis-cli and returns its output. */
    String cli(String... command) {
        List<String> line = new ArrayList<>(List.of(binary("redis-cli"), "-h", "127.0.0.1", "-p", Integer.toString(port), "--raw"));
        line.addAll(List.of(command));
        try {
            Process cli = new ProcessBuilder(line).redirectErrorStream(true).start();
            String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!cli.waitFor(10, TimeUnit.SECONDS) || cli.exitValue() != 0) {
                fail("redis-cli " + String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private boolean accepting() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String binary(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        for (String dir : List.of("/usr/bin", "/usr/sbin", "/usr/local/bin")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail(name + " is not installed; " + INSTALL_HINT);
    }

    @Override
    public void close() {
        stop();
    }
}
