package io.zeroscale.plugin.docker;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The few calls the orchestrator makes on one Docker-API host. The real one wraps docker-java;
 * unit tests use a small in-memory fake. Every call throws {@link io.zeroscale.spi.ZeroscaleException}
 * naming {@link #host()} when the engine cannot be reached or refuses; calls on a container that no
 * longer exists are no-ops, so every call is safe to repeat.
 */
interface DockerEngine extends AutoCloseable {
    /** The host as configured, for messages, e.g. {@code unix:///run/podman/podman.sock}. */
    String host();

    /**
     * The address clients use to reach ports the host publishes on all interfaces: the loopback
     * address for a local socket, the host name for {@code tcp://}.
     */
    String publishedAddress();

    /** Every container (running or not) carrying {@code label} ({@code key=value} or {@code key}), inspected. */
    List<ContainerView> containers(String label);

    /** Creates (does not start) a container; returns its id. */
    String create(ContainerSpec spec);

    /**
     * Creates (does not start) a container unless the host already has one of that name; returns
     * its id, or null when the name is taken. The host decides, so of several callers racing with
     * one name exactly one gets an id.
     */
    @Nullable String createIfAbsent(ContainerSpec spec);

    /**
     * Starts a created or stopped container.
     *
     * @return true when this call started it; false when it was already running (the engine
     *     answers 304, so of several callers racing exactly one gets true) or is gone
     */
    boolean start(String id);

    /** Stops with the container's stop signal, then SIGKILL after {@code grace}. */
    void stop(String id, Duration grace);

    void remove(String id);

    void pause(String id);

    /** Unpauses; false when the container is gone (404), so a caller that expected it can read the host again. */
    boolean unpause(String id);

    /** Changes the running container's limits; null leaves one as it is. */
    void update(String id, @Nullable Double cpus, @Nullable Long memoryBytes);

    /**
     * The last {@code lines} lines the container wrote (stdout and stderr), oldest first; empty when
     * the engine has none (or the container is gone). Used to say why a container failed.
     */
    List<String> logs(String id, int lines);

    /**
     * Runs the container's healthcheck once where the engine does not run it by itself (Podman
     * without systemd); does nothing on engines that schedule healthchecks themselves.
     */
    void runHealthcheck(String id);

    /**
     * Streams container events until closed. {@code onStart} runs once the engine accepted the
     * stream; {@code onEnd} runs once if the stream ends or fails on its own, after which the
     * caller reconnects.
     */
    Subscription events(Runnable onStart, Consumer<EngineEvent> onEvent, Consumer<@Nullable Throwable> onEnd);

    @Override
    void close();

    /** A container's lifecycle state as the engine reports it. */
    enum State {
        CREATED,
        RUNNING,
        PAUSED,
        RESTARTING,
        REMOVING,
        EXITED,
        DEAD;

        /** The container exists and runs, is starting, or is frozen. */
        boolean live() {
            return this == CREATED || this == RUNNING || this == PAUSED || this == RESTARTING;
        }

        static State parse(@Nullable String status) {
            if (status == null) {
                return DEAD;
            }
            return switch (status.toLowerCase(java.util.Locale.ROOT)) {
                case "created", "configured", "initialized" -> CREATED;
                case "running" -> RUNNING;
                case "paused" -> PAUSED;
                case "restarting" -> RESTARTING;
                case "removing" -> REMOVING;
                case "exited", "stopped", "stopping" -> EXITED;
                default -> DEAD;
            };
        }
    }

    /** The container's healthcheck status; {@code NONE} when it has none (Podman reports an empty status). */
    enum Health {
        NONE,
        STARTING,
        HEALTHY,
        UNHEALTHY;

        static Health parse(@Nullable String status) {
            if (status == null) {
                return NONE;
            }
            return switch (status.toLowerCase(java.util.Locale.ROOT)) {
                case "starting" -> STARTING;
                case "healthy" -> HEALTHY;
                case "unhealthy" -> UNHEALTHY;
                default -> NONE;
            };
        }
    }

    /** A published port: the host IP it is bound to (empty for all interfaces) and the host port. */
    record HostPort(String ip, int port) {
        public HostPort {
            requireNonNull(ip, "ip is null");
        }
    }

    /**
     * What the orchestrator needs to know of one container.
     *
     * @param createdAt microseconds since the epoch, to list replicas oldest first and pick the newest for removal
     * @param ports published ports by container port (TCP)
     * @param oomKilled the engine says the kernel killed it for exceeding its memory limit (Docker
     *     does; Podman 4.3 on cgroup v1 never does, see {@link ContainerGroup})
     * @param memoryLimit its memory limit in bytes, 0 when it has none
     */
    record ContainerView(
            String id,
            String name,
            State state,
            Health health,
            int exitCode,
            Map<String, String> labels,
            Map<Integer, HostPort> ports,
            long createdAt,
            boolean oomKilled,
            long memoryLimit) {
        ContainerView(String id, String name, State state, Health health, int exitCode, Map<String, String> labels,
                Map<Integer, HostPort> ports, long createdAt) {
            this(id, name, state, health, exitCode, labels, ports, createdAt, false, 0);
        }

        /** The same container in {@code newState} (what an engine call just did to it, before the next read). */
        ContainerView withState(State newState) {
            return new ContainerView(id, name, newState, health, exitCode, labels, ports, createdAt, oomKilled, memoryLimit);
        }

        public ContainerView {
            requireNonNull(id, "id is null");
            requireNonNull(name, "name is null");
            requireNonNull(state, "state is null");
            requireNonNull(health, "health is null");
            labels = Map.copyOf(requireNonNull(labels, "labels is null"));
            ports = Map.copyOf(requireNonNull(ports, "ports is null"));
        }
    }

    /** A container to create: the group's template plus its name, labels and where to publish. */
    record ContainerSpec(
            String name,
            String image,
            List<String> command,
            Map<String, String> env,
            Map<String, String> labels,
            @Nullable Integer port,
            String publishIp,
            @Nullable Double cpus,
            @Nullable Long memoryBytes,
            @Nullable Integer gpus,
            GroupSpec.@Nullable Healthcheck healthcheck,
            Duration stopGrace) {
        public ContainerSpec {
            requireNonNull(name, "name is null");
            requireNonNull(image, "image is null");
            command = List.copyOf(requireNonNull(command, "command is null"));
            env = Map.copyOf(requireNonNull(env, "env is null"));
            labels = Map.copyOf(requireNonNull(labels, "labels is null"));
            requireNonNull(publishIp, "publishIp is null");
            requireNonNull(stopGrace, "stopGrace is null");
        }
    }

    /**
     * One container event.
     *
     * @param action e.g. {@code start}, {@code die}, {@code pause}, {@code health_status: healthy}
     * @param attributes the actor's attributes: the container's labels, name, exit code
     */
    record EngineEvent(String containerId, String action, Map<String, String> attributes) {
        public EngineEvent {
            requireNonNull(containerId, "containerId is null");
            requireNonNull(action, "action is null");
            attributes = Map.copyOf(requireNonNull(attributes, "attributes is null"));
        }
    }
}
