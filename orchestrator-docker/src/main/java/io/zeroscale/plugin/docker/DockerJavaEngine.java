package io.zeroscale.plugin.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.DeviceRequest;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.VersionComponent;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.ZeroscaleException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** {@link DockerEngine} over docker-java with its dependency-free transport. */
final class DockerJavaEngine implements DockerEngine {
    private final String host;
    private final URI uri;
    private final DockerHttpClient fastHttp;
    private final DockerHttpClient slowHttp;
    private final DockerClient fast;
    // Calls that legitimately wait (stop with a grace period, the event stream) get no read timeout.
    private final DockerClient slow;
    private volatile @Nullable Boolean podman;
    private static final Duration LOGS_WAIT = Duration.ofSeconds(2);

    DockerJavaEngine(String host, Duration timeout) {
        this.host = host;
        this.uri = URI.create(host);
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host)
                .withDockerTlsVerify(false)
                .build();
        this.fastHttp = new ZerodepDockerHttpClient.Builder()
                .dockerHost(uri)
                .connectionTimeout(timeout)
                .responseTimeout(timeout)
                .build();
        this.slowHttp = new ZerodepDockerHttpClient.Builder()
                .dockerHost(uri)
                .connectionTimeout(timeout)
                .build();
        this.fast = DockerClientImpl.getInstance(config, fastHttp);
        this.slow = DockerClientImpl.getInstance(config, slowHttp);
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public String publishedAddress() {
        return "unix".equals(uri.getScheme()) ? "127.0.0.1" : uri.getHost();
    }

    @Override
    public List<ContainerView> containers(String label) {
        List<Container> listed = call("list containers labelled " + label,
                () -> fast.listContainersCmd().withShowAll(true).withLabelFilter(List.of(label)).exec());
        List<ContainerView> out = new ArrayList<>(listed.size());
        for (Container container : listed) {
            InspectContainerResponse inspected = orNullIfGone("inspect container " + container.getId(),
                    () -> fast.inspectContainerCmd(container.getId()).exec());
            if (inspected != null) {
                out.add(view(inspected));
            }
        }
        return out;
    }

    private static ContainerView view(InspectContainerResponse c) {
        InspectContainerResponse.ContainerState state = c.getState();
        String name = c.getName() == null ? c.getId() : c.getName().replaceFirst("^/", "");
        Map<Integer, HostPort> ports = new LinkedHashMap<>();
        if (c.getNetworkSettings() != null && c.getNetworkSettings().getPorts() != null) {
            c.getNetworkSettings().getPorts().getBindings().forEach((exposed, bindings) -> {
                if (exposed.getProtocol() != InternetProtocol.TCP || bindings == null) {
                    return;
                }
                for (Ports.Binding binding : bindings) {
                    Integer port = parsePort(binding.getHostPortSpec());
                    if (port != null) {
                        // Podman leaves HostIp empty; the caller reads empty as "all interfaces".
                        String ip = binding.getHostIp() == null ? "" : binding.getHostIp();
                        ports.putIfAbsent(exposed.getPort(), new HostPort(ip, port));
                    }
                }
            });
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (c.getConfig() != null && c.getConfig().getLabels() != null) {
            c.getConfig().getLabels().forEach((k, v) -> labels.put(k, v == null ? "" : v));
        }
        Long exit = state == null ? null : state.getExitCodeLong();
        return new ContainerView(
                c.getId(),
                name,
                State.parse(state == null ? null : state.getStatus()),
                Health.parse(state == null || state.getHealth() == null ? null : state.getHealth().getStatus()),
                exit == null ? 0 : exit.intValue(),
                labels,
                ports,
                createdAt(c.getCreated()),
                state != null && Boolean.TRUE.equals(state.getOOMKilled()),
                c.getHostConfig() == null || c.getHostConfig().getMemory() == null ? 0 : c.getHostConfig().getMemory());
    }

    private static @Nullable Integer parsePort(@Nullable String spec) {
        if (spec == null || spec.isBlank()) {
            return null;
        }
        try {
            int port = Integer.parseInt(spec.trim());
            return port >= 1 && port <= 65535 ? port : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static long createdAt(@Nullable String created) {
        if (created == null) {
            return 0;
        }
        try {
            // Microseconds, not seconds: replicas created within one second must still be told
            // apart (the engine drains the newest first).
            java.time.Instant at = OffsetDateTime.parse(created).toInstant();
            return at.getEpochSecond() * 1_000_000L + at.getNano() / 1_000;
        } catch (DateTimeParseException e) {
            return 0;
        }
    }

    @Override
    public String create(ContainerSpec spec) {
        CreateContainerCmd cmd = fast.createContainerCmd(spec.image())
                .withName(spec.name())
                .withLabels(spec.labels())
                .withStopTimeout(Math.toIntExact(Math.max(1, spec.stopGrace().toSeconds())));
        if (!spec.command().isEmpty()) {
            cmd.withCmd(spec.command());
        }
        if (!spec.env().isEmpty()) {
            cmd.withEnv(spec.env().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        }
        HostConfig hostConfig = HostConfig.newHostConfig();
        if (spec.port() != null) {
            ExposedPort exposed = ExposedPort.tcp(spec.port());
            cmd.withExposedPorts(exposed);
            // No host port: the engine picks a free one, which we read back from inspect.
            hostConfig.withPortBindings(new PortBinding(Ports.Binding.bindIp(spec.publishIp()), exposed));
        }
        if (spec.cpus() != null) {
            hostConfig.withNanoCPUs(Math.round(spec.cpus() * 1e9));
        }
        if (spec.memoryBytes() != null) {
            hostConfig.withMemory(spec.memoryBytes());
        }
        if (spec.gpus() != null) {
            hostConfig.withDeviceRequests(List.of(new DeviceRequest()
                    .withCount(spec.gpus())
                    .withCapabilities(List.of(List.of("gpu")))));
        }
        cmd.withHostConfig(hostConfig);
        GroupSpec.Healthcheck check = spec.healthcheck();
        if (check != null) {
            cmd.withHealthcheck(new HealthCheck()
                    .withTest(check.test())
                    .withInterval(check.interval().toNanos())
                    .withTimeout(check.timeout().toNanos())
                    .withRetries(check.retries())
                    .withStartPeriod(check.startPeriod().toNanos()));
        }
        try {
            return call("create container " + spec.name() + " from " + spec.image(), () -> cmd.exec().getId());
        } catch (ZeroscaleException e) {
            if (e.getCause() instanceof NotFoundException) {
                throw new ZeroscaleException(DockerErrorCode.IMAGE_NOT_FOUND, "docker host " + host + ": image '"
                        + spec.image() + "' does not exist there; pull or build it on that host first", e.getCause());
            }
            throw e;
        }
    }

    @Override
    public @Nullable String createIfAbsent(ContainerSpec spec) {
        try {
            return create(spec);
        } catch (ZeroscaleException e) {
            // A container of that name exists: Docker answers 409; so does Podman 4.3 when the
            // name was taken before, but when two creates race it answers 500 "that name is
            // already in use" from its storage layer (seen in ConditionalWakeIT).
            Throwable cause = e.getCause();
            if (cause instanceof ConflictException || (cause instanceof DockerException && cause.getMessage() != null
                    && cause.getMessage().contains("already in use"))) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public boolean start(String id) {
        // Null when the engine answered 304 (already started) or the container is gone.
        return orNullIfGone("start container " + id, () -> {
            fast.startContainerCmd(id).exec();
            return Boolean.TRUE;
        }) != null;
    }

    @Override
    public void stop(String id, Duration grace) {
        orNullIfGone("stop container " + id, () -> {
            slow.stopContainerCmd(id).withTimeout(Math.toIntExact(Math.max(1, grace.toSeconds()))).exec();
            return Boolean.TRUE;
        });
    }

    @Override
    public void remove(String id) {
        orNullIfGone("remove container " + id, () -> {
            fast.removeContainerCmd(id).withForce(true).exec();
            return Boolean.TRUE;
        });
    }

    @Override
    public void pause(String id) {
        orNullIfGone("pause container " + id, () -> {
            fast.pauseContainerCmd(id).exec();
            return Boolean.TRUE;
        });
    }

    @Override
    public boolean unpause(String id) {
        return orNullIfGone("unpause container " + id, () -> {
            fast.unpauseContainerCmd(id).exec();
            return Boolean.TRUE;
        }) != null;
    }

    @Override
    public void update(String id, @Nullable Double cpus, @Nullable Long memoryBytes) {
        if (cpus == null && memoryBytes == null) {
            return;
        }
        if (isPodman()) {
            // Podman 4.3's Docker-compatible API has no /containers/{id}/update; its own API does.
            StringBuilder body = new StringBuilder("{");
            if (memoryBytes != null) {
                body.append("\"memory\":{\"limit\":").append(memoryBytes).append('}');
            }
            if (cpus != null) {
                if (memoryBytes != null) {
                    body.append(',');
                }
                long period = 100_000;
                body.append("\"cpu\":{\"quota\":").append(Math.round(cpus * period))
                        .append(",\"period\":").append(period).append('}');
            }
            body.append('}');
            raw(DockerHttpClient.Request.Method.POST, "/v4.0.0/libpod/containers/" + id + "/update", body.toString(),
                    "update resources of container " + id);
            return;
        }
        orNullIfGone("update resources of container " + id, () -> {
            var cmd = fast.updateContainerCmd(id);
            if (cpus != null) {
                cmd.withNanoCPUs(Math.round(cpus * 1e9));
            }
            if (memoryBytes != null) {
                cmd.withMemory(memoryBytes).withMemorySwap(-1L);
            }
            cmd.exec();
            return Boolean.TRUE;
        });
    }

    @Override
    public void runHealthcheck(String id) {
        if (isPodman()) {
            raw(DockerHttpClient.Request.Method.GET, "/v4.0.0/libpod/containers/" + id + "/healthcheck", null,
                    "run the healthcheck of container " + id);
        }
    }

    private boolean isPodman() {
        Boolean known = podman;
        if (known == null) {
            List<VersionComponent> components = call("read the engine version", () -> fast.versionCmd().exec())
                    .getComponents();
            known = components != null && components.stream()
                    .anyMatch(c -> c.getName() != null && c.getName().toLowerCase(Locale.ROOT).contains("podman"));
            podman = known;
        }
        return known;
    }

    private int raw(DockerHttpClient.Request.Method method, String path, @Nullable String json, String what) {
        checkSocket();
        DockerHttpClient.Request.Builder request = DockerHttpClient.Request.builder().method(method).path(path);
        if (json != null) {
            request.putHeader("Content-Type", "application/json")
                    .body(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        }
        try (DockerHttpClient.Response response = fastHttp.execute(request.build())) {
            int status = response.getStatusCode();
            if (status >= 500) {
                String text = new String(response.getBody().readAllBytes(), StandardCharsets.UTF_8);
                throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED,
                        "docker host " + host + ": could not " + what + ": HTTP " + status + " " + text.strip());
            }
            return status;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ZeroscaleException z) {
                throw z;
            }
            throw unavailable(what, e);
        }
    }

    @Override
    public List<String> logs(String id, int lines) {
        List<String> out = new ArrayList<>();
        StringBuilder partial = new StringBuilder();
        ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                synchronized (out) {
                    partial.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                    int newline;
                    while ((newline = partial.indexOf("\n")) >= 0) {
                        out.add(partial.substring(0, newline));
                        partial.delete(0, newline + 1);
                    }
                }
            }
        };
        try {
            fast.logContainerCmd(id).withStdOut(true).withStdErr(true).withTail(lines).exec(callback);
            if (!callback.awaitCompletion(LOGS_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                callback.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (IOException | RuntimeException e) {
            // Gone, or the engine refused: the failure is reported without output rather than not at all.
            return List.of();
        }
        synchronized (out) {
            if (!partial.isEmpty()) {
                out.add(partial.toString());
            }
            List<String> cleaned = out.stream().map(String::strip).filter(line -> !line.isEmpty()).toList();
            return List.copyOf(cleaned.subList(Math.max(0, cleaned.size() - lines), cleaned.size()));
        }
    }

    @Override
    public Subscription events(Runnable onStart, Consumer<EngineEvent> onEvent, Consumer<@Nullable Throwable> onEnd) {
        AtomicBoolean closed = new AtomicBoolean();
        AtomicBoolean ended = new AtomicBoolean();
        Consumer<@Nullable Throwable> endOnce = error -> {
            if (!closed.get() && ended.compareAndSet(false, true)) {
                onEnd.accept(error);
            }
        };
        ResultCallback.Adapter<Event> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onStart(java.io.Closeable stream) {
                super.onStart(stream);
                if (!closed.get()) {
                    onStart.run();
                }
            }

            @Override
            public void onNext(Event event) {
                // Podman's filter on event type is unreliable (podman#16857): filter here instead.
                if (event.getType() != null && event.getType() != EventType.CONTAINER) {
                    return;
                }
                String id = event.getActor() != null && event.getActor().getId() != null
                        ? event.getActor().getId()
                        : event.getId();
                String action = event.getAction() != null ? event.getAction() : event.getStatus();
                if (id == null || action == null) {
                    return;
                }
                Map<String, String> attributes = new LinkedHashMap<>();
                if (event.getActor() != null && event.getActor().getAttributes() != null) {
                    event.getActor().getAttributes().forEach((k, v) -> {
                        if (k != null && v != null) {
                            attributes.put(k, v);
                        }
                    });
                }
                onEvent.accept(new EngineEvent(id, action, attributes));
            }

            @Override
            public void onError(Throwable throwable) {
                // Not super.onError: it logs the whole trace at ERROR; the watcher reports it once.
                endOnce.accept(throwable);
                try {
                    close();
                } catch (IOException e) {
                    // The stream is already broken.
                }
            }

            @Override
            public void onComplete() {
                endOnce.accept(null);
                super.onComplete();
            }
        };
        try {
            checkSocket();
            slow.eventsCmd().exec(callback);
        } catch (RuntimeException e) {
            endOnce.accept(e);
        }
        return () -> {
            closed.set(true);
            try {
                callback.close();
            } catch (IOException e) {
                // The stream is being torn down; nothing is left to release.
            }
        };
    }

    @Override
    public void close() {
        try {
            fast.close();
        } catch (IOException e) {
            // Closing a client only releases pooled connections.
        }
        try {
            slow.close();
        } catch (IOException e) {
            // as above
        }
    }

    private <T> @Nullable T orNullIfGone(String what, Supplier<T> call) {
        try {
            return call(what, call);
        } catch (ZeroscaleException e) {
            if (gone(e.getCause())) {
                return null;
            }
            throw e;
        }
    }

    private static boolean gone(@Nullable Throwable cause) {
        // Podman answers 500 "no such container" where Docker answers 404.
        return cause instanceof NotFoundException
                || cause instanceof NotModifiedException
                || (cause instanceof DockerException && cause.getMessage() != null
                        && cause.getMessage().contains("no such container"));
    }

    /** The engine's message, stripped; docker-java leaves it null when the engine sent no body. */
    private static String message(RuntimeException e) {
        String message = e.getMessage();
        return message == null ? "(no message from the engine)" : message.strip();
    }

    private <T> T call(String what, Supplier<T> call) {
        checkSocket();
        try {
            return call.get();
        } catch (NotFoundException | NotModifiedException e) {
            throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED,
                    "docker host " + host + ": could not " + what + ": " + e.getMessage(), e);
        } catch (ConflictException e) {
            throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED, "docker host " + host + ": could not "
                    + what + ": conflict: " + message(e), e);
        } catch (DockerException e) {
            throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED, "docker host " + host + ": could not "
                    + what + ": HTTP " + e.getHttpStatus() + " " + message(e), e);
        } catch (RuntimeException e) {
            throw unavailable(what, e);
        }
    }

    private void checkSocket() {
        if ("unix".equals(uri.getScheme()) && !Files.exists(Path.of(uri.getPath()))) {
            throw new ZeroscaleException(DockerErrorCode.ENGINE_UNAVAILABLE, "docker host " + host
                    + ": the socket " + uri.getPath() + " does not exist, so no engine is listening there."
                    + " Start the engine (Podman: 'podman system service -t 0 " + host + " &', Docker: 'systemctl"
                    + " start docker') or point 'host' at the right socket");
        }
    }

    private ZeroscaleException unavailable(String what, Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return new ZeroscaleException(DockerErrorCode.ENGINE_UNAVAILABLE, "docker host " + host + ": could not "
                + what + ": the engine did not answer (" + root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : ": " + root.getMessage()) + "). Check that it is running and"
                + " that 'host' points at it", e);
    }
}
