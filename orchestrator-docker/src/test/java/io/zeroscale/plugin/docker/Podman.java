package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Workload;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** The real engine the ITs run against: Podman's Docker API on its unix socket, set up by scripts/peers.d/podman.sh. */
final class Podman {
    static final String SOCKET = "/run/podman/podman.sock";
    static final String HOST = "unix://" + SOCKET;
    static final String IMAGE = "localhost/zeroscale/busybox:test";
    static final List<String> HTTPD = List.of("/bin/httpd", "-f", "-p", "80", "-h", "/www");
    static final String SETUP = "Set it up with ./scripts/test (it runs scripts/peers.d/podman.sh), or by hand:"
            + " cd <repo> && source scripts/peers.sh && source scripts/peers.d/podman.sh && zs_peer_podman"
            + " (installs podman, starts 'podman system service -t 0 " + HOST + "' and imports " + IMAGE + ")";

    private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "it-scheduler");
        thread.setDaemon(true);
        return thread;
    });
    private static final ExecutorService BLOCKING = Executors.newVirtualThreadPerTaskExecutor();
    private static volatile DockerClient client;

    private Podman() {}

    /** Fails the test, with the command that fixes it, when the engine or the test image is missing. */
    static void require() {
        if (!Files.exists(Path.of(SOCKET))) {
            fail("No container engine: the socket " + SOCKET + " does not exist. " + SETUP);
        }
        try {
            client().inspectImageCmd(IMAGE).exec();
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            fail("The test image " + IMAGE + " is missing. " + SETUP);
        } catch (RuntimeException e) {
            fail("The engine at " + HOST + " does not answer (" + e + "). " + SETUP);
        }
    }

    /** A docker-java client for the tests' own checks, independent of the code under test. */
    static DockerClient client() {
        if (client == null) {
            synchronized (Podman.class) {
                if (client == null) {
                    client = DockerClientImpl.getInstance(
                            DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(HOST).build(),
                            new ZerodepDockerHttpClient.Builder().dockerHost(URI.create(HOST)).build());
                }
            }
        }
        return client;
    }

    static PluginContext context() {
        return new PluginContext() {
            @Override
            public Scheduler scheduler() {
                return SCHEDULER;
            }

            @Override
            public java.util.concurrent.Executor blockingExecutor() {
                return BLOCKING;
            }

            @Override
            public Path dataDirectory() {
                return Path.of("target/zeroscale-data");
            }
        };
    }

    private static final Scheduler SCHEDULER = new Scheduler() {
        @Override
        public InstantSource clock() {
            return InstantSource.system();
        }

        @Override
        public Subscription schedule(Duration delay, Runnable task) {
            var future = TIMERS.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        }

        @Override
        public Subscription scheduleAtFixedRate(Duration period, Runnable task) {
            var future = TIMERS.scheduleAtFixedRate(task, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        }
    };

    static DockerOrchestrator orchestrator(Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(Map.of("type", "docker", "host", HOST, "poll-interval", "1h"));
        all.putAll(settings);
        return (DockerOrchestrator) new DockerOrchestratorFactory()
                .create("docker", Config.of("orchestrators.docker", all), context());
    }

    static String uniqueName(String prefix) {
        return prefix + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    }

    /** An httpd group: serves /www on port 80, killed 1 s after SIGTERM (busybox httpd ignores it). */
    static Workload httpd(String name, Map<String, Object> extra) {
        Map<String, Object> settings = new HashMap<>(Map.of(
                "image", IMAGE,
                "command", HTTPD,
                "port", 80,
                "stop-grace", "1s",
                "readiness", Map.of("http", "/", "interval", "50ms")));
        settings.putAll(extra);
        return new Workload(TargetRef.of("docker", "ContainerGroup", name),
                Config.of("targets." + name + ".workload", settings));
    }

    /** Containers (in any state) that carry the group label of {@code target}. */
    static List<Container> containersOf(TargetRef target) {
        return client().listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(ContainerGroup.GROUP_LABEL, target.toString()))
                .exec();
    }

    /** Removes whatever a failed test left behind. */
    static void removeAll(TargetRef target) {
        for (Container container : containersOf(target)) {
            try {
                client().removeContainerCmd(container.getId()).withForce(true).exec();
            } catch (RuntimeException e) {
                // Already gone.
            }
        }
    }
}
