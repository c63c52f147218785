package io.zeroscale.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real Kubernetes control plane for a test: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler (built from source by {@code scripts/peers.d/kubernetes.sh}) and kwok, which plays
 * the kubelet of fake nodes. Every component listens on a free 127.0.0.1 port; certificates are
 * self-signed with {@code openssl}; the test gets a kubeconfig whose client certificate is in
 * {@code system:masters}. Deployments, StatefulSets, {@code /scale}, the ReplicaSet and
 * EndpointSlice controllers, watches, RBAC and Leases are the real upstream code.
 *
 * <p>Without a {@link Builder#podNetwork pod network}, kwok gives bound pods a fake IP from
 * 198.18.0.0/16 (nothing listens there: never send traffic to it) and marks them ready at once.
 * With one, pods run a real process in a network namespace of their own and become ready when it
 * answers (see {@link PodNetwork}).
 *
 * <p>{@link #start} returns once the nodes are Ready and the {@code default} ServiceAccount exists
 * (5-6 s here); {@link #close()} stops every process, removes the pod network and is idempotent. A
 * JVM shutdown hook does the same if the test never gets to close it. When the binaries are
 * missing the test fails, never skips, with {@link #INSTALL_HINT}. Not thread-safe to start or
 * close concurrently; the accessors may be called from any thread.
 */
public final class KubernetesPeer implements AutoCloseable {
    /** The Kubernetes version the peer script builds. */
    public static final String VERSION = "v1.36.3";
    /** The annotation (value {@code fake}) by which kwok recognises the nodes it plays. */
    public static final String KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
    static final String INSTALL_HINT = "install it with: ./scripts/test (runs scripts/peers.d/kubernetes.sh, about 11 minutes"
            + " the first time), or only this peer: bash -c 'source scripts/peers.sh && source scripts/peers.d/kubernetes.sh"
            + " && zs_peer_kubernetes'";
    static final String HOME_PROPERTY = "zeroscale.kubernetes.home";
    static final String HOME_ENV = "ZS_K8S_HOME";
    static final Path DEFAULT_HOME = Path.of("/opt/zeroscale-peers/kubernetes-" + VERSION);
    static final List<String> BINARIES = List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok");
    private static final String PLAIN_POD_CIDR = "198.18.0.1/16";
    private static final String PLAIN_NODE_IP = "198.19.255.254";

    private final Path home;
    private final Path binaries;
    private final Builder settings;
    private final List<Component> components = new ArrayList<>();
    private final Thread shutdownHook;
    private final List<String> nodeNames = new ArrayList<>();
    private @Nullable PodNetwork podNetwork;
    private @Nullable KubernetesClient client;
    private int apiServerPort;
    private boolean closed;

    private KubernetesPeer(Builder settings) {
        this.settings = settings;
        this.home = settings.home.toAbsolutePath();
        this.binaries = binaries();
        this.shutdownHook = new Thread(this::close, "kubernetes-peer-shutdown");
    }

    /** Settings for a peer whose files (certificates, etcd data, logs) go under {@code home}. */
    public static Builder builder(Path home) {
        return new Builder(home);
    }

    /** Starts a control plane with one fake node and no pod network (pods ready at once, fake IPs). */
    public static KubernetesPeer start(Path home) {
        return builder(home).start();
    }

    /**
     * The directory holding the binaries and kwok's stages: the system property
     * {@value #HOME_PROPERTY}, else the environment variable {@value #HOME_ENV}, else
     * {@code /opt/zeroscale-peers/kubernetes-v1.36.3}. Fails the test with {@link #INSTALL_HINT}
     * when a binary is missing.
     */
    static Path binaries() {
        String configured = System.getProperty(HOME_PROPERTY);
        if (configured == null) {
            configured = System.getenv(HOME_ENV);
        }
        Path dir = configured == null || configured.isBlank() ? DEFAULT_HOME : Path.of(configured);
        return requireBinaries(dir);
    }

    static Path requireBinaries(Path dir) {
        List<String> missing = new ArrayList<>();
        for (String name : BINARIES) {
            if (!Files.isExecutable(dir.resolve("bin").resolve(name))) {
                missing.add(name);
            }
        }
        if (!Files.isRegularFile(dir.resolve("stages/kwok-stages.yaml"))) {
            missing.add("stages/kwok-stages.yaml");
        }
        if (!missing.isEmpty()) {
            return fail("the Kubernetes " + VERSION + " control plane is not installed in " + dir + " (missing "
                    + String.join(", ", missing) + "); " + INSTALL_HINT);
        }
        return dir;
    }

    private void startAll() throws IOException {
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        Files.createDirectories(home.resolve("logs"));
        if (settings.podCommand != null) {
            podNetwork = PodNetwork.create(home.resolve("pods"), settings.podCommand, settings.podReadyTimeout);
        }
        Certificates certs = Certificates.create(home.resolve("pki"));
        int etcdPort = FreePorts.next();
        int etcdPeerPort = FreePorts.next();
        apiServerPort = FreePorts.next();
        Path kubeconfig = home.resolve("kubeconfig");
        Files.writeString(kubeconfig, kubeconfigYaml(certs), UTF_8);

        launch("etcd", List.of(bin("etcd"),
                "--name=zeroscale",
                "--data-dir=" + home.resolve("etcd"),
                "--listen-client-urls=http://127.0.0.1:" + etcdPort,
                "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-cluster=zeroscale=http://127.0.0.1:" + etcdPeerPort,
                // A test cluster: durability across a power loss is not needed, disk time is.
                "--unsafe-no-fsync=true",
                "--log-level=warn"));
        waitFor("etcd health", () -> httpOk("http://127.0.0.1:" + etcdPort + "/health"));

        List<String> apiServer = new ArrayList<>(List.of(bin("kube-apiserver"),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                "--secure-port=" + apiServerPort,
                "--cert-dir=" + home.resolve("apiserver-certs"),
                "--tls-cert-file=" + certs.apiServerCert,
                "--tls-private-key-file=" + certs.apiServerKey,
                "--client-ca-file=" + certs.caCert,
                "--service-account-key-file=" + certs.serviceAccountPublicKey,
                "--service-account-signing-key-file=" + certs.serviceAccountKey,
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range=" + settings.serviceCidr,
                "--authorization-mode=RBAC",
                // The `kubernetes` Service's endpoint would have to be a non-loopback address.
                "--endpoint-reconciler-type=none",
                "--profiling=false"));
        apiServer.addAll(settings.apiServerArgs);
        launch("kube-apiserver", apiServer);
        KubernetesClient admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig, UTF_8))).build();
        client = admin;
        waitFor("kube-apiserver /readyz", () -> "ok".equals(readyz(admin)));

        List<String> common = List.of(
                "--kubeconfig=" + kubeconfig,
                "--authentication-kubeconfig=" + kubeconfig,
                "--authorization-kubeconfig=" + kubeconfig,
                "--bind-address=127.0.0.1",
                "--leader-elect=false");
        List<String> controllerManager = new ArrayList<>(List.of(bin("kube-controller-manager"),
                "--secure-port=" + FreePorts.next(),
                "--cert-dir=" + home.resolve("controller-manager-certs"),
                "--service-account-private-key-file=" + certs.serviceAccountKey,
                "--root-ca-file=" + certs.caCert,
                // kwok renews the fake nodes' leases; on a loaded machine a late renewal made the node
                // lifecycle controller mark every pod Ready=False (ContainersReady still True) in
                // the middle of a test. Nodes here never really fail, so they are given an hour.
                "--node-monitor-grace-period=1h"));
        controllerManager.addAll(common);
        launch("kube-controller-manager", controllerManager);
        List<String> scheduler = new ArrayList<>(List.of(bin("kube-scheduler"),
                "--secure-port=" + FreePorts.next(),
                "--cert-dir=" + home.resolve("scheduler-certs")));
        scheduler.addAll(common);
        launch("kube-scheduler", scheduler);

        PodNetwork network = podNetwork;
        Path stages = network == null ? binaries.resolve("stages/kwok-stages.yaml") : network.kwokStages(binaries.resolve("stages"));
        Path kwokHome = home.resolve("kwok");
        Files.createDirectories(kwokHome);
        launch("kwok", List.of(bin("kwok"),
                "--kubeconfig=" + kubeconfig,
                "--config=" + stages,
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=" + KWOK_NODE_ANNOTATION + "=fake",
                "--cidr=" + (network == null ? PLAIN_POD_CIDR : network.podCidr()),
                "--node-ip=" + (network == null ? PLAIN_NODE_IP : network.nodeIp())),
                // kwok also reads ~/.kwok/kwok.yaml: keep a developer's own config out of the test.
                Map.of("HOME", kwokHome.toString()));

        for (int i = 0; i < settings.nodes; i++) {
            String name = "kwok-node-" + i;
            admin.nodes().resource(fakeNode(name, settings.podsPerNode)).create();
            nodeNames.add(name);
        }
        if (network != null) {
            network.watch(admin, nodeNames);
        }
        for (String name : nodeNames) {
            waitFor("node " + name + " Ready", () -> isReady(admin.nodes().withName(name).get()));
        }
        waitFor("the default ServiceAccount",
                () -> admin.serviceAccounts().inNamespace("default").withName("default").get() != null);
    }

    private static Node fakeNode(String name, int pods) {
        Map<String, Quantity> capacity = new LinkedHashMap<>();
        capacity.put("cpu", new Quantity("64"));
        capacity.put("memory", new Quantity("256Gi"));
        capacity.put("pods", new Quantity(Integer.toString(pods)));
        return new NodeBuilder()
                .withNewMetadata()
                    .withName(name)
                    .addToAnnotations(KWOK_NODE_ANNOTATION, "fake")
                    .addToLabels("type", "kwok")
                    .addToLabels("kubernetes.io/hostname", name)
                    .addToLabels("kubernetes.io/os", "linux")
                .endMetadata()
                .withNewStatus()
                    .withCapacity(capacity)
                    .withAllocatable(capacity)
                .endStatus()
                .build();
    }

    private static boolean isReady(@Nullable Node node) {
        return node != null && node.getStatus() != null && node.getStatus().getConditions() != null
                && node.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static @Nullable String readyz(KubernetesClient client) {
        try {
            return client.raw("/readyz");
        } catch (RuntimeException notYet) {
            return null;
        }
    }

    private static boolean httpOk(String url) {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String kubeconfigYaml(Certificates certs) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: zeroscale-test
                  cluster:
                    server: %s
                    certificate-authority: %s
                users:
                - name: zeroscale-admin
                  user:
                    client-certificate: %s
                    client-key: %s
                contexts:
                - name: zeroscale-test
                  context:
                    cluster: zeroscale-test
                    user: zeroscale-admin
                    namespace: default
                current-context: zeroscale-test
                """.formatted(url(), certs.caCert, certs.adminCert, certs.adminKey);
    }

    private String bin(String name) {
        return binaries.resolve("bin").resolve(name).toString();
    }

    private Component launch(String name, List<String> command) throws IOException {
        return launch(name, command, Map.of());
    }

    private Component launch(String name, List<String> command, Map<String, String> env) throws IOException {
        Path log = home.resolve("logs").resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Component component = new Component(name, builder.start(), log);
        components.add(component);
        return component;
    }

    private void waitFor(String what, Callable<Boolean> condition) {
        await(what).atMost(settings.startTimeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (Component component : components) {
                if (!component.process.isAlive()) {
                    fail(component.name + " exited with " + component.process.exitValue() + " while waiting for " + what
                            + "; its log " + component.log + " ends with:\n" + tail(component.log));
                }
            }
            return condition.call();
        });
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** The API server's base URL, {@code https://127.0.0.1:<port>}. */
    public String url() {
        return "https://127.0.0.1:" + apiServerPort;
    }

    /** A kubeconfig (absolute certificate paths) for a {@code system:masters} user, context namespace {@code default}. */
    public Path kubeconfig() {
        return home.resolve("kubeconfig");
    }

    /** The CA that signed the API server's and the client's certificates (PEM). */
    public Path caCertificate() {
        return home.resolve("pki/ca.crt");
    }

    /** The client certificate (PEM, group {@code system:masters}) of {@link #kubeconfig()}. */
    public Path clientCertificate() {
        return home.resolve("pki/admin.crt");
    }

    /** The client certificate's private key (PEM, PKCS#8). */
    public Path clientKey() {
        return home.resolve("pki/admin.key");
    }

    /** The names of the fake nodes kwok plays ({@code kwok-node-0}, ...). */
    public List<String> nodeNames() {
        return List.copyOf(nodeNames);
    }

    /** A fabric8 client for {@link #kubeconfig()}, shared, closed by {@link #close()}: do not close it. */
    public KubernetesClient client() {
        KubernetesClient shared = client;
        if (shared == null) {
            throw new IllegalStateException("the control plane is not started");
        }
        return shared;
    }

    /** A new fabric8 client for {@link #kubeconfig()}; the caller closes it. */
    public KubernetesClient newClient() {
        try {
            return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig(), UTF_8))).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pod network, or an {@link IllegalStateException} when the peer was built without one. */
    public PodNetwork podNetwork() {
        PodNetwork network = podNetwork;
        if (network == null) {
            throw new IllegalStateException("this KubernetesPeer has no pod network; build it with builder(home).podNetwork(...)");
        }
        return network;
    }

    /** The log file of a component ({@code etcd}, {@code kube-apiserver}, ..., {@code kwok}). */
    public Path log(String component) {
        return home.resolve("logs").resolve(component + ".log");
    }

    /**
     * Stops the pod processes, kwok, the scheduler, the controller manager, the API server and
     * etcd (in that order: SIGTERM, SIGKILL after 10 s) and removes the pod network. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        PodNetwork network = podNetwork;
        if (network != null) {
            network.stopWatching();
        }
        KubernetesClient shared = client;
        if (shared != null) {
            shared.close();
        }
        List<Component> reversed = new ArrayList<>(components);
        Collections.reverse(reversed);
        for (Component component : reversed) {
            component.process.destroy();
        }
        for (Component component : reversed) {
            component.stop();
        }
        if (network != null) {
            network.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // Called from the hook itself: nothing to remove.
        }
    }

    /** Settings of a {@link KubernetesPeer}; {@link #start()} starts it. */
    public static final class Builder {
        private final Path home;
        private int nodes = 1;
        private int podsPerNode = 1000;
        private @Nullable PodCommand podCommand;
        private Duration podReadyTimeout = Duration.ofMinutes(1);
        private Duration startTimeout = Duration.ofMinutes(2);
        private String serviceCidr = "10.96.0.0/16";
        private final List<String> apiServerArgs = new ArrayList<>();

        private Builder(Path home) {
            this.home = Objects.requireNonNull(home, "home");
        }

        /** How many fake nodes (default 1). */
        public Builder nodes(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("nodes must be at least 1, got " + count);
            }
            this.nodes = count;
            return this;
        }

        /** Pod capacity of each fake node (default 1000). */
        public Builder podsPerNode(int pods) {
            if (pods < 1) {
                throw new IllegalArgumentException("podsPerNode must be at least 1, got " + pods);
            }
            this.podsPerNode = pods;
            return this;
        }

        /**
         * Runs {@code command} for each pod bound to a fake node, inside a network namespace of its
         * own on the pod's IP, and marks the pod ready when it answers HTTP 200 (see {@link
         * PodNetwork}). Needs root. {@code readyTimeout}: how long to probe before leaving the pod
         * not ready.
         */
        public Builder podNetwork(PodCommand command, Duration readyTimeout) {
            this.podCommand = Objects.requireNonNull(command, "command");
            this.podReadyTimeout = Objects.requireNonNull(readyTimeout, "readyTimeout");
            return this;
        }

        /** {@link #podNetwork(PodCommand, Duration)} with {@link PodCommand#httpd()} and 60 s. */
        public Builder podNetwork() {
            return podNetwork(PodCommand.httpd(), Duration.ofMinutes(1));
        }

        /** How long start may take before the test fails (default 120 s: the machine is shared). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** The Service cluster IP range (default 10.96.0.0/16; no traffic is ever routed to it). */
        public Builder serviceCidr(String cidr) {
            this.serviceCidr = Objects.requireNonNull(cidr, "cidr");
            return this;
        }

        /** Extra kube-apiserver flags, e.g. an audit policy. */
        public Builder apiServerArgs(String... args) {
            apiServerArgs.addAll(List.of(args));
            return this;
        }

        /** Starts it, or fails the test (after stopping what had started) with the reason and the logs. */
        public KubernetesPeer start() {
            KubernetesPeer peer = new KubernetesPeer(this);
            try {
                peer.startAll();
                return peer;
            } catch (IOException e) {
                peer.close();
                throw new UncheckedIOException("could not start the Kubernetes control plane under " + home, e);
            } catch (RuntimeException | Error e) {
                peer.close();
                throw e;
            }
        }
    }

    /** One started binary and its log. */
    private record Component(String name, Process process, Path log) {
        void stop() {
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** The self-signed PKI of one control plane, made with openssl. */
    private record Certificates(Path caCert, Path apiServerCert, Path apiServerKey, Path adminCert, Path adminKey,
            Path serviceAccountKey, Path serviceAccountPublicKey) {
        static Certificates create(Path dir) throws IOException {
            Files.createDirectories(dir);
            Path log = dir.resolve("openssl.log");
            for (String key : List.of("ca", "apiserver", "admin", "service-account")) {
                openssl(dir, log, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key + ".key");
            }
            openssl(dir, log, "pkey", "-in", "service-account.key", "-pubout", "-out", "service-account.pub");
            openssl(dir, log, "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=zeroscale-test-ca", "-days", "3650",
                    "-out", "ca.crt");
            sign(dir, log, "apiserver", "/CN=kube-apiserver",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
                            + "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n"
                            + "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
            sign(dir, log, "admin", "/O=system:masters/CN=zeroscale-admin",
                    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
            return new Certificates(dir.resolve("ca.crt"), dir.resolve("apiserver.crt"), dir.resolve("apiserver.key"),
                    dir.resolve("admin.crt"), dir.resolve("admin.key"), dir.resolve("service-account.key"),
                    dir.resolve("service-account.pub"));
        }

        private static void sign(Path dir, Path log, String name, String subject, String extensions) throws IOException {
            Files.writeString(dir.resolve(name + ".ext"), extensions, UTF_8);
            openssl(dir, log, "req", "-new", "-key", name + ".key", "-subj", subject, "-out", name + ".csr");
            openssl(dir, log, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", "3650", "-extfile", name + ".ext", "-out", name + ".crt");
        }

        private static void openssl(Path dir, Path log, String... args) throws IOException {
            List<String> command = new ArrayList<>();
            command.add("openssl");
            command.addAll(List.of(args));
            Process process;
            try {
                process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            } catch (IOException e) {
                fail("could not run openssl (" + e.getMessage() + "); install it with: apt-get install -y openssl");
                return;
            }
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                    process.destroyForcibly();
                    fail(String.join(" ", command) + " failed:\n" + Files.readString(log, UTF_8));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                fail("interrupted while running " + command);
            }
        }
    }
}
