package io.zeroscale.plugin.docker;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.ZeroscaleException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** An in-memory Docker host: containers are records in a map, events go to subscribers at once. */
final class FakeDockerEngine implements DockerEngine {
    final String host;
    final Map<String, Box> containers = new LinkedHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    /** Done to a container (by someone else) just before the next start of it. */
    final Map<String, Runnable> beforeStart = new java.util.concurrent.ConcurrentHashMap<>();
    /** Run when the next unpause of a container is called, before the engine acts on it. */
    final Map<String, Runnable> beforeUnpause = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<Consumer<EngineEvent>> subscribers = new CopyOnWriteArrayList<>();
    private int nextId = 1;
    private int nextPort = 40000;
    private long clock = 1000;
    boolean down;
    boolean closed;

    FakeDockerEngine(String host) {
        this.host = host;
    }

    /** A container as the fake keeps it; tests change its state directly. */
    static final class Box {
        final String id;
        final String name;
        final @Nullable ContainerSpec spec;
        final Map<String, String> labels;
        final Map<Integer, HostPort> ports = new LinkedHashMap<>();
        final long createdAt;
        State state = State.CREATED;
        Health health = Health.NONE;
        int exitCode;
        @Nullable Double cpus;
        @Nullable Long memory;
        boolean oomKilled;
        List<String> logs = List.of();

        Box(String id, String name, @Nullable ContainerSpec spec, Map<String, String> labels, long createdAt) {
            this.id = id;
            this.name = name;
            this.spec = spec;
            this.labels = labels;
            this.createdAt = createdAt;
        }

        ContainerView view() {
            return new ContainerView(id, name, state, health, exitCode, labels, ports, createdAt, oomKilled,
                    memory == null ? 0 : memory);
        }
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public String publishedAddress() {
        return "127.0.0.1";
    }

    @Override
    public synchronized List<ContainerView> containers(String label) {
        check("list");
        List<ContainerView> out = new ArrayList<>();
        for (Box box : containers.values()) {
            if (ContainerGroup.matches(label, box.labels)) {
                out.add(box.view());
            }
        }
        return out;
    }

    @Override
    public synchronized String create(ContainerSpec spec) {
        check("create " + spec.name());
        if (containers.values().stream().anyMatch(box -> box.name.equals(spec.name()))) {
            // As Docker and Podman answer 409.
            throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED, "conflict: the container name " + spec.name()
                    + " is already in use", new IllegalStateException("409"));
        }
        String id = "c" + nextId++;
        Box box = new Box(id, spec.name(), spec, new LinkedHashMap<>(spec.labels()), clock++);
        if (spec.port() != null) {
            // Podman leaves the host IP empty, whatever was asked for.
            box.ports.put(spec.port(), new HostPort("", nextPort++));
        }
        box.cpus = spec.cpus();
        box.memory = spec.memoryBytes();
        containers.put(id, box);
        emit(box, "create");
        return id;
    }

    /** A container made outside the orchestrator, e.g. by compose. */
    synchronized Box external(String name, Map<String, String> labels, @Nullable Integer port, State state) {
        String id = "x" + nextId++;
        Box box = new Box(id, name, null, new LinkedHashMap<>(labels), clock++);
        if (port != null) {
            box.ports.put(port, new HostPort("", nextPort++));
        }
        box.state = state;
        containers.put(id, box);
        return box;
    }

    @Override
    public synchronized @Nullable String createIfAbsent(ContainerSpec spec) {
        if (containers.values().stream().anyMatch(box -> box.name.equals(spec.name()))) {
            check("create " + spec.name());
            return null;
        }
        return create(spec);
    }

    @Override
    public synchronized boolean start(String id) {
        check("start " + id);
        Runnable first = beforeStart.remove(id);
        if (first != null) {
            first.run();
        }
        Box box = containers.get(id);
        if (box != null && box.state != State.RUNNING) {
            box.state = State.RUNNING;
            emit(box, "start");
            return true;
        }
        return false;
    }

    @Override
    public synchronized void stop(String id, Duration grace) {
        check("stop " + id + " " + grace.toSeconds() + "s");
        Box box = containers.get(id);
        if (box != null && box.state.live()) {
            if (box.state == State.PAUSED) {
                throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED, "container state improper");
            }
            box.state = State.EXITED;
            box.exitCode = 143;
            emit(box, "die");
        }
    }

    @Override
    public synchronized void remove(String id) {
        check("remove " + id);
        Box box = containers.remove(id);
        if (box != null) {
            emit(box, "remove");
        }
    }

    @Override
    public synchronized void pause(String id) {
        check("pause " + id);
        Box box = containers.get(id);
        if (box != null && box.state == State.RUNNING) {
            box.state = State.PAUSED;
            emit(box, "pause");
        }
    }

    @Override
    public synchronized boolean unpause(String id) {
        check("unpause " + id);
        Runnable before = beforeUnpause.remove(id);
        if (before != null) {
            before.run();
        }
        Box box = containers.get(id);
        if (box == null) {
            return false; // gone: DockerJavaEngine reads a 404 so
        }
        if (box.state != State.PAUSED) {
            // As Docker (409 "is not paused") and Podman (500 "container state improper") refuse it.
            throw new ZeroscaleException(DockerErrorCode.ENGINE_REJECTED, "docker host " + host + ": container " + id
                    + " is not paused", new IllegalStateException("409"));
        }
        box.state = State.RUNNING;
        emit(box, "unpause");
        return true;
    }

    @Override
    public synchronized void update(String id, @Nullable Double cpus, @Nullable Long memoryBytes) {
        check("update " + id + " cpus=" + cpus + " memory=" + memoryBytes);
        Box box = containers.get(id);
        if (box != null) {
            if (cpus != null) {
                box.cpus = cpus;
            }
            if (memoryBytes != null) {
                box.memory = memoryBytes;
            }
        }
    }

    @Override
    public synchronized void runHealthcheck(String id) {
        check("healthcheck " + id);
    }

    @Override
    public Subscription events(Runnable onStart, Consumer<EngineEvent> onEvent, Consumer<@Nullable Throwable> onEnd) {
        if (down) {
            onEnd.accept(new IllegalStateException("engine down"));
            return Subscription.NONE;
        }
        subscribers.add(onEvent);
        onStart.run();
        return () -> subscribers.remove(onEvent);
    }

    @Override
    public synchronized List<String> logs(String id, int lines) {
        calls.add("logs " + id);
        Box box = containers.get(id);
        return box == null ? List.of() : box.logs.subList(Math.max(0, box.logs.size() - lines), box.logs.size());
    }

    /** The container dies on its own, as a crash or an OOM kill would. */
    synchronized void crash(String id, int exitCode) {
        Box box = containers.get(id);
        box.state = State.EXITED;
        box.exitCode = exitCode;
        emit(box, "die");
    }

    synchronized List<Box> running() {
        return containers.values().stream().filter(b -> b.state == State.RUNNING).toList();
    }

    /** Sends an event about {@code box}, e.g. for a change a test made directly. */
    void emit(Box box, String action) {
        Map<String, String> attributes = new LinkedHashMap<>(box.labels);
        attributes.put("name", box.name);
        EngineEvent event = new EngineEvent(box.id, action, attributes);
        subscribers.forEach(s -> s.accept(event));
    }

    private void check(String call) {
        if (down) {
            throw new ZeroscaleException(DockerErrorCode.ENGINE_UNAVAILABLE,
                    "docker host " + host + ": could not " + call + ": the engine did not answer");
        }
        calls.add(call);
    }

    @Override
    public void close() {
        closed = true;
    }
}
