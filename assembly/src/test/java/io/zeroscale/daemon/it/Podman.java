package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The container engine the docker sample runs on: Podman serving the Docker API on its socket, set
 * up by scripts/peers.d/podman.sh. The tests' own checks use the podman CLI, independent of the
 * plugin under test.
 */
final class Podman {
    static final String SOCKET = "/run/podman/podman.sock";
    static final String IMAGE = "localhost/zeroscale/busybox:test";
    static final String SETUP = "Set it up with ./scripts/test (it runs scripts/peers.d/podman.sh), or from the repository root:"
            + " source scripts/peers.sh && source scripts/peers.d/podman.sh && zs_peer_podman"
            + " (installs podman, starts 'podman system service -t 0 unix://" + SOCKET + "' and imports " + IMAGE + ")";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Podman() {}

    /** Fails the test, with the command that fixes it, when the engine, its socket or the image is missing. */
    static void require() {
        Path socket = Path.of(SOCKET);
        if (!Files.exists(socket)) {
            fail("No container engine: the socket " + SOCKET + " does not exist. " + SETUP);
        }
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertThat(channel.isConnected()).isTrue();
        } catch (IOException e) {
            fail("Nothing answers on " + SOCKET + " (" + e + "). " + SETUP);
        }
        if (podman("image", "exists", IMAGE).exit() != 0) {
            fail("The image " + IMAGE + " is missing. " + SETUP);
        }
    }

    /** One container: its short id (its host name) and its state as the engine says it (running, paused, exited, ...). */
    record Container(String id, String state) {
        @Override
        public String toString() {
            return id + " " + state;
        }
    }

    /** Every container carrying the label, stopped ones included. */
    static List<Container> containers(String label) {
        Result result = podman("ps", "-a", "--filter", "label=" + label, "--format", "json");
        if (result.exit() != 0) {
            fail("podman ps failed: " + result.output());
        }
        try {
            List<Container> containers = new ArrayList<>();
            for (JsonNode container : JSON.readTree(result.output())) {
                containers.add(new Container(container.path("Id").asText().substring(0, 12), container.path("State").asText()));
            }
            return containers;
        } catch (IOException e) {
            return fail("podman ps printed no JSON: " + result.output(), e);
        }
    }

    /** Removes every container carrying the label; for clean-up after a failed test. */
    static void removeAll(String label) {
        for (Container container : containers(label)) {
            podman("rm", "-f", container.id());
        }
    }

    record Result(int exit, String output) {}

    static Result podman(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary());
        command.addAll(List.of(args));
        try {
            Path output = Files.createTempFile("zeroscale-podman", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail(String.join(" ", command) + " did not finish within 60s");
                }
                return new Result(process.exitValue(), Files.readString(output, UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            return fail("could not run " + command + ": " + e + ". " + SETUP);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while running " + command);
        }
    }

    private static String binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "podman");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("'podman' is not on PATH. " + SETUP);
    }
}
