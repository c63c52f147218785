package io.zeroscale.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Real processes for the pods of a {@link KubernetesPeer}'s fake nodes, reachable from the test
 * through a network namespace this run makes (test traffic goes only to loopback or to it).
 *
 * <p>Layout (made by {@link KubernetesPeer.Builder#podNetwork}, needs root): a network namespace
 * {@code zs-pods-<jvm pid>-<hex>}, a veth pair {@code zsh-<hex>} (root namespace, 10.X.255.254/16)
 * and {@code zsp-<hex>} (inside, 10.X.255.253/16, also the fake nodes' IP), and inside the route
 * {@code local 10.X.0.0/17 dev lo}, so a process there can bind any address of the pod range that
 * kwok assigns from ({@code --cidr=10.X.0.1/17}). X is picked per run among 200-249 where no route
 * or address of the machine overlaps, under a file lock, so parallel runs do not collide.
 *
 * <p>Readiness comes from the process, not from kwok: kwok runs without its pod-ready stage and
 * with this fixture's {@code zeroscale-pod-running} stage instead, which gives a bound pod its IP
 * and the Running phase but leaves it not ready. The fixture watches pods (a fabric8 informer),
 * starts {@link PodCommand} for each pod on a fake node once it has an IP ({@code ip netns exec}),
 * probes {@code http://<pod ip>:<port>/} every 2 ms and, at the first 200, patches the pod's status
 * Ready (conditions Ready and ContainersReady, container statuses ready). The port is the first
 * {@code containerPort} of the pod's first container that declares one, 8080 when none does. When
 * the pod gets a deletion timestamp or is deleted, its process and the process's descendants are
 * killed. Processes that exit are not restarted; a pod that does not answer within the ready
 * timeout stays not ready.
 *
 * <p>{@link #close()} kills every process in the namespace and removes the namespace and the veth
 * pair; a namespace left by a JVM that died (its pid gone) is removed by the next run. Accessors
 * are thread-safe.
 */
public final class PodNetwork implements AutoCloseable {
    static final String PREFIX = "zs-pods-";
    /** The stock kwok stages kept under a pod network: nodes, job completion, deletion (not pod-ready). */
    static final List<String> KWOK_STAGES = List.of("node-initialize", "node-heartbeat-with-lease", "pod-complete", "pod-delete");
    static final int DEFAULT_PORT = 8080;
    private static final Path LOCK = Path.of("/run/zeroscale/pod-networks.lock");
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(2);

    private final String namespace;
    private final String hostVeth;
    private final int octet;
    private final Path home;
    private final PodCommand command;
    private final Duration readyTimeout;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Map<String, PodProcess> byUid = new ConcurrentHashMap<>();
    private volatile Set<String> nodes = Set.of();
    private volatile @Nullable KubernetesClient client;
    private volatile @Nullable SharedIndexInformer<Pod> informer;
    private volatile boolean closed;

    private PodNetwork(String namespace, String hostVeth, int octet, Path home, PodCommand command, Duration readyTimeout) {
        this.namespace = namespace;
        this.hostVeth = hostVeth;
        this.octet = octet;
        this.home = home;
        this.command = command;
        this.readyTimeout = readyTimeout;
    }

    /** Makes the namespace and the veth pair; fails the test with the reason when it cannot (not root, no iproute2). */
    static PodNetwork create(Path home, PodCommand command, Duration readyTimeout) throws IOException {
        Files.createDirectories(home);
        removeStale();
        String hex = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
        String namespace = PREFIX + ProcessHandle.current().pid() + "-" + hex;
        String hostVeth = "zsh-" + hex;
        String podVeth = "zsp-" + hex;
        Files.createDirectories(LOCK.getParent());
        // Picking the octet and taking it are one step for every test JVM on this machine.
        try (FileChannel channel = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.lock();
            try {
                int octet = freeOctet();
                PodNetwork network = new PodNetwork(namespace, hostVeth, octet, home, command, readyTimeout);
                String prefix = "10." + octet + ".";
                try {
                    ip("netns", "add", namespace);
                    ip("link", "add", hostVeth, "type", "veth", "peer", "name", podVeth);
                    ip("link", "set", podVeth, "netns", namespace);
                    ip("addr", "add", prefix + "255.254/16", "dev", hostVeth);
                    ip("link", "set", hostVeth, "up");
                    ip("-n", namespace, "addr", "add", prefix + "255.253/16", "dev", podVeth);
                    ip("-n", namespace, "link", "set", podVeth, "up");
                    ip("-n", namespace, "link", "set", "lo", "up");
                    ip("-n", namespace, "route", "add", "local", prefix + "0.0/17", "dev", "lo");
                } catch (RuntimeException | Error e) {
                    network.close();
                    throw e;
                }
                return network;
            } finally {
                lock.release();
            }
        }
    }

    /** The second octet X of 10.X.0.0/16 among 200-249 that no route or address of this machine overlaps. */
    private static int freeOctet() {
        List<String> used = new ArrayList<>();
        used.addAll(ip("-4", "-o", "route", "show", "table", "all").lines().toList());
        used.addAll(ip("-4", "-o", "addr", "show").lines().toList());
        List<Integer> candidates = new ArrayList<>();
        for (int x = 200; x < 250; x++) {
            candidates.add(x);
        }
        Collections.shuffle(candidates);
        for (int x : candidates) {
            if (used.stream().noneMatch(line -> overlaps(line, x))) {
                return x;
            }
        }
        return fail("no free 10.X.0.0/16 (X in 200-249) for a pod network: every one overlaps a route or address of this machine");
    }

    /** True when a line of {@code ip -o route/addr} names a network that overlaps 10.x.0.0/16. */
    static boolean overlaps(String line, int x) {
        for (String token : line.trim().split("\\s+")) {
            if (!token.matches("\\d+\\.\\d+\\.\\d+\\.\\d+(/\\d+)?")) {
                continue;
            }
            String[] parts = token.split("/");
            int length = parts.length == 2 ? Integer.parseInt(parts[1]) : 32;
            long address = toLong(parts[0]);
            long ours = (10L << 24) | ((long) x << 16);
            int common = Math.min(length, 16);
            long mask = common == 0 ? 0 : (0xFFFFFFFFL << (32 - common)) & 0xFFFFFFFFL;
            if ((address & mask) == (ours & mask)) {
                return true;
            }
        }
        return false;
    }

    private static long toLong(String dotted) {
        long value = 0;
        for (String part : dotted.split("\\.")) {
            value = (value << 8) | Integer.parseInt(part);
        }
        return value;
    }

    /** Removes namespaces (and their veths and processes) left by test JVMs that no longer run. */
    private static void removeStale() {
        for (String line : ip("netns", "list").lines().toList()) {
            String name = line.trim().split("\\s+")[0];
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            String[] parts = name.substring(PREFIX.length()).split("-");
            if (parts.length != 2 || !parts[0].matches("\\d+")) {
                continue;
            }
            if (ProcessHandle.of(Long.parseLong(parts[0])).isEmpty()) {
                remove(name, "zsh-" + parts[1]);
            }
        }
    }

    private static void remove(String namespace, String hostVeth) {
        for (String pid : tryIp("netns", "pids", namespace).lines().map(String::trim).filter(s -> s.matches("\\d+")).toList()) {
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
        tryIp("netns", "delete", namespace);
        // Gone with the namespace when the pair was complete; still there when creation stopped early.
        tryIp("link", "delete", hostVeth);
    }

    /** Kwok's stages under this network: the stock ones of {@link #KWOK_STAGES} plus {@code zeroscale-pod-running}. */
    Path kwokStages(Path stockStages) throws IOException {
        StringBuilder all = new StringBuilder();
        for (String stage : KWOK_STAGES) {
            all.append("---\n").append(Files.readString(stockStages.resolve(stage + ".yaml"), UTF_8)).append('\n');
        }
        try (InputStream own = Objects.requireNonNull(PodNetwork.class.getResourceAsStream("kwok-pod-running.yaml"),
                "kwok-pod-running.yaml is missing from testkit's resources")) {
            all.append("---\n").append(new String(own.readAllBytes(), UTF_8));
        }
        Path file = home.resolve("kwok-stages.yaml");
        Files.writeString(file, all.toString(), UTF_8);
        return file;
    }

    /** Starts watching pods bound to {@code nodeNames} through {@code client} (which the caller keeps open). */
    void watch(KubernetesClient client, Collection<String> nodeNames) {
        this.client = client;
        this.nodes = Set.copyOf(nodeNames);
        this.informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                reconcile(pod, false);
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                reconcile(pod, false);
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                reconcile(pod, true);
            }
        }, 0);
    }

    /** Stops the informer; running processes stay until {@link #close()}. */
    void stopWatching() {
        SharedIndexInformer<Pod> running = informer;
        if (running != null) {
            running.close();
        }
    }

    private void reconcile(Pod pod, boolean deleted) {
        String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        if (node == null || !nodes.contains(node) || closed) {
            return;
        }
        String uid = pod.getMetadata().getUid();
        if (deleted || pod.getMetadata().getDeletionTimestamp() != null) {
            PodProcess process = byUid.get(uid);
            if (process != null) {
                process.stop();
            }
            return;
        }
        String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
        if (ip == null || ip.isEmpty()) {
            return;
        }
        String name = pod.getMetadata().getName();
        PodProcess created = new PodProcess(pod.getMetadata().getNamespace(), name, uid, ip, port(pod),
                home.resolve(pod.getMetadata().getNamespace() + "_" + name + "_" + uid.substring(0, Math.min(8, uid.length()))));
        if (byUid.putIfAbsent(uid, created) == null) {
            Thread.ofVirtual().name("pod-" + name).start(() -> run(created, pod));
        }
    }

    static int port(Pod pod) {
        for (Container container : pod.getSpec().getContainers()) {
            List<ContainerPort> ports = container.getPorts();
            if (ports != null && !ports.isEmpty() && ports.get(0).getContainerPort() != null) {
                return ports.get(0).getContainerPort();
            }
        }
        return DEFAULT_PORT;
    }

    private void run(PodProcess pod, Pod object) {
        try {
            Files.createDirectories(pod.directory());
            Files.writeString(pod.directory().resolve("index.html"), pod.name() + "\n", UTF_8);
            List<String> line = new ArrayList<>(List.of(executable("ip", "apt-get install -y iproute2"), "netns", "exec", namespace));
            line.addAll(command.command(pod));
            Process process = new ProcessBuilder(line).directory(pod.directory().toFile()).redirectErrorStream(true)
                    .redirectOutput(pod.directory().resolve("process.log").toFile()).start();
            pod.started(process);
            long deadline = System.nanoTime() + readyTimeout.toNanos();
            while (!pod.stopRequested() && process.isAlive() && System.nanoTime() < deadline) {
                if (answers(pod)) {
                    pod.answered();
                    markReady(pod, object);
                    return;
                }
                Thread.sleep(PROBE_INTERVAL);
            }
            if (!process.isAlive() && !pod.stopRequested()) {
                pod.failed("exited with " + process.exitValue() + " before answering; see " + pod.directory().resolve("process.log"));
            } else if (!pod.stopRequested()) {
                pod.failed("did not answer 200 within " + readyTimeout);
            }
        } catch (IOException | RuntimeException e) {
            pod.failed(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pod.stop();
        }
    }

    private boolean answers(PodProcess pod) throws InterruptedException {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(pod.url())).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    private void markReady(PodProcess pod, Pod object) {
        KubernetesClient api = client;
        if (api == null || pod.stopRequested()) {
            return;
        }
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String startedAt = pod.startedAt().truncatedTo(ChronoUnit.SECONDS).toString();
        List<Map<String, Object>> containers = new ArrayList<>();
        for (Container container : object.getSpec().getContainers()) {
            Map<String, Object> status = new LinkedHashMap<>();
            status.put("name", container.getName());
            status.put("image", container.getImage());
            status.put("imageID", "");
            status.put("ready", true);
            status.put("started", true);
            status.put("restartCount", 0);
            status.put("state", Map.of("running", Map.of("startedAt", startedAt)));
            containers.add(status);
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("conditions", List.of(
                Map.of("type", "Ready", "status", "True", "lastTransitionTime", now),
                Map.of("type", "ContainersReady", "status", "True", "lastTransitionTime", now)));
        // containerStatuses has no merge key: the list is replaced as a whole.
        status.put("containerStatuses", containers);
        String patch = api.getKubernetesSerialization().asJson(Map.of("status", status));
        try {
            api.pods().inNamespace(pod.namespace()).withName(pod.name()).subresource("status")
                    .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
            pod.markedReady();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                pod.failed("could not mark the pod ready: " + e.getMessage());
            }
        }
    }

    /** The network namespace's name ({@code zs-pods-<pid>-<hex>}). */
    public String namespace() {
        return namespace;
    }

    /** The range kwok assigns pod IPs from, as its {@code --cidr} flag wants it ({@code 10.X.0.1/17}). */
    public String podCidr() {
        return "10." + octet + ".0.1/17";
    }

    /** The fake nodes' IP: the namespace's end of the veth pair. */
    public String nodeIp() {
        return "10." + octet + ".255.253";
    }

    /** The root namespace's end of the veth pair, the source address of the test's requests to pods. */
    public String hostIp() {
        return "10." + octet + ".255.254";
    }

    /** Every process started so far, stopped ones included, in no particular order. */
    public List<PodProcess> processes() {
        return List.copyOf(byUid.values());
    }

    /** The newest process started for the pod {@code namespace/name}, if any. */
    public Optional<PodProcess> process(String namespace, String name) {
        return byUid.values().stream()
                .filter(p -> p.namespace().equals(namespace) && p.name().equals(name))
                .max((a, b) -> Long.compare(a.startedNanos(), b.startedNanos()));
    }

    /** The processes running now (started and not stopped). */
    public List<PodProcess> running() {
        return byUid.values().stream().filter(PodProcess::isRunning).toList();
    }

    /** Stops watching, kills every process in the namespace, removes the namespace and the veth pair. Idempotent. */
    @Override
    public void close() {
        closed = true;
        stopWatching();
        for (PodProcess process : byUid.values()) {
            process.stop();
        }
        remove(namespace, hostVeth);
    }

    static String executable(String name, String installCommand) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("'" + name + "' is not installed; install it with: " + installCommand
                + " (or run ./scripts/test, whose scripts/peers.d/kubernetes.sh installs it)");
    }

    private static String ip(String... args) {
        Result result = exec(args);
        if (result.exit != 0) {
            String hint = result.output.contains("Operation not permitted") || result.output.contains("Permission denied")
                    ? " (PodNetwork needs root: it creates a network namespace and a veth pair)" : "";
            return fail("ip " + String.join(" ", args) + " failed with " + result.exit + hint + ":\n" + result.output);
        }
        return result.output;
    }

    private static String tryIp(String... args) {
        return exec(args).output;
    }

    private record Result(int exit, String output) {}

    private static Result exec(String... args) {
        List<String> line = new ArrayList<>();
        line.add(executable("ip", "apt-get install -y iproute2"));
        line.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, output + "\n(timed out)");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + line, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /**
     * The process of one pod and what happened to it. Times are {@link System#nanoTime()} readings
     * (for latencies) taken by the fixture: when the process was launched, when the probe first got
     * a 200, when the Ready patch was accepted, when the process was stopped.
     */
    public static final class PodProcess {
        private final String namespace;
        private final String name;
        private final String uid;
        private final String ip;
        private final int port;
        private final Path directory;
        private volatile @Nullable Process process;
        private volatile long startedNanos = -1;
        private volatile @Nullable Instant startedAt;
        private volatile long answeredNanos = -1;
        private volatile long readyNanos = -1;
        private volatile long stoppedNanos = -1;
        private volatile boolean stopRequested;
        private volatile @Nullable String failure;

        PodProcess(String namespace, String name, String uid, String ip, int port, Path directory) {
            this.namespace = namespace;
            this.name = name;
            this.uid = uid;
            this.ip = ip;
            this.port = port;
            this.directory = directory;
        }

        /** The pod's Kubernetes namespace. */
        public String namespace() {
            return namespace;
        }

        /** The pod's name. */
        public String name() {
            return name;
        }

        /** The pod's uid (a StatefulSet's pod keeps its name across restarts, not its uid). */
        public String uid() {
            return uid;
        }

        /** The pod's IP, which the process binds. */
        public String ip() {
            return ip;
        }

        /** The port the process serves on. */
        public int port() {
            return port;
        }

        /** {@code http://<ip>:<port>/}. */
        public String url() {
            return "http://" + ip + ":" + port + "/";
        }

        /** The process's working directory, with {@code index.html} (the pod name) and {@code process.log}. */
        public Path directory() {
            return directory;
        }

        /** The launched process's pid, while it has been launched. */
        public OptionalLong pid() {
            Process running = process;
            return running == null ? OptionalLong.empty() : OptionalLong.of(running.pid());
        }

        /** When the process was launched ({@code System.nanoTime()}), -1 before. */
        public long startedNanos() {
            return startedNanos;
        }

        Instant startedAt() {
            Instant at = startedAt;
            return at == null ? Instant.now() : at;
        }

        /** When the probe first got a 200 ({@code System.nanoTime()}). */
        public OptionalLong answeredNanos() {
            return answeredNanos < 0 ? OptionalLong.empty() : OptionalLong.of(answeredNanos);
        }

        /** When the API server accepted the Ready status patch ({@code System.nanoTime()}). */
        public OptionalLong readyNanos() {
            return readyNanos < 0 ? OptionalLong.empty() : OptionalLong.of(readyNanos);
        }

        /** When the fixture saw the pod deleted and began killing the process ({@code System.nanoTime()}). */
        public OptionalLong stoppedNanos() {
            return stoppedNanos < 0 ? OptionalLong.empty() : OptionalLong.of(stoppedNanos);
        }

        /** The pod's own start-to-ready: launch to first 200. */
        public Optional<Duration> startToAnswer() {
            return answeredNanos < 0 || startedNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(answeredNanos - startedNanos));
        }

        /** Why the pod did not become ready (exited, no answer in time, patch refused), if so. */
        public Optional<String> failure() {
            return Optional.ofNullable(failure);
        }

        /** True while the process is launched, alive and not asked to stop. */
        public boolean isRunning() {
            Process running = process;
            return running != null && running.isAlive() && !stopRequested;
        }

        synchronized void started(Process launched) {
            startedAt = Instant.now();
            startedNanos = System.nanoTime();
            process = launched;
            if (stopRequested) {
                kill(launched);
            }
        }

        void answered() {
            answeredNanos = System.nanoTime();
        }

        void markedReady() {
            readyNanos = System.nanoTime();
        }

        void failed(String why) {
            failure = why;
        }

        boolean stopRequested() {
            return stopRequested;
        }

        synchronized void stop() {
            if (stopRequested) {
                return;
            }
            // Recorded before the kill, so whoever sees the process gone also sees when it was stopped.
            stoppedNanos = System.nanoTime();
            stopRequested = true;
            Process running = process;
            if (running != null) {
                kill(running);
            }
        }

        private static void kill(Process process) {
            // busybox httpd forks a child per connection; a wrapper shell may have children too.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String toString() {
            return namespace + "/" + name + " " + url() + (isRunning() ? " running" : " stopped")
                    + (failure == null ? "" : " (" + failure + ")");
        }
    }
}
