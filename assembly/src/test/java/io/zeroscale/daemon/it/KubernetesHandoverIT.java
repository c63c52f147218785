package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zeroscale.testkit.FreePorts;
import io.zeroscale.testkit.KubernetesPeer;
import io.zeroscale.testkit.PodCommand;
import io.zeroscale.testkit.PodNetwork;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two daemon replicas from the built distribution (each its own {@code bin/zeroscale run}
 * process) in front of one Deployment on a real control plane, as in a cluster: {@code
 * leadership}, {@code traffic.hub} and {@code state-store} of type {@code kubernetes}, each replica
 * with its own ServiceAccount (bound to cluster-admin), its replica channel on loopback. The API
 * server's audit log records every write of the Deployment's replica count and who made it.
 *
 * <ol>
 *   <li>The leader is SIGKILLed in the middle of a wake (the count written, the pod not ready yet,
 *       its process starts {@value #POD_START_SECONDS} s late): the request held by the follower's
 *       gateway is answered, the follower takes the Lease and goes on from the observed count
 *       without writing it again.
 *   <li>The killed one comes back as a follower; the leader, told through its REST API to go
 *       from 2 replicas to 1, is SIGKILLed in the middle of draining the chosen pod (held open by
 *       slow requests in flight through the follower's gateway): the slow requests are answered,
 *       the dead leader removed nothing, and the new leader, holding the override from the state
 *       store, removes one pod with one write; idle, it takes the target to zero.
 *   <li>The leader is stopped (SIGSTOP: its Lease does not expire yet): the follower holding a
 *       request for the target at zero wakes it itself with the conditional wake, and the request
 *       is answered before any election.
 *   <li>Override and pause set through the leader's REST API are in force on the next leader after
 *       it is SIGKILLed.
 * </ol>
 * Throughout: every request sent through either gateway to a replica that stays alive is answered
 * 200; every successful write of the count is one per decision (no two in a row of the same
 * count), by the Lease's holder of that phase, the follower's only the
 * conditional wake to 1.
 */
class KubernetesHandoverIT {
    private static final String NS = "ha";
    private static final long POD_START_SECONDS = 3;
    private static final Duration LEASE = Duration.ofSeconds(20);
    private static final Duration HANDOVER = LEASE.plusSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUDIT_POLICY = """
            apiVersion: audit.k8s.io/v1
            kind: Policy
            omitStages: ["RequestReceived"]
            rules:
            - level: Request
              verbs: ["update", "patch"]
              resources:
              - group: apps
                resources: ["deployments", "deployments/scale"]
            - level: None
            """;
    /** busybox httpd runs it for /cgi-bin/slow: a request in flight for 8 s. */
    private static final String SLOW_CGI = """
            #!/bin/sh
            sleep 15
            printf 'Content-Type: text/plain\\r\\n\\r\\nslow\\n'
            """;

    @TempDir
    Path work;
    private KubernetesPeer peer;
    private Path audit;
    private final List<Replica> replicas = new ArrayList<>();
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    /** Every answer through a gateway of a replica that stayed alive while it was asked. */
    private final List<String> answers = new CopyOnWriteArrayList<>();

    /** One daemon replica: its config, ports and process (null while not running). */
    private final class Replica {
        final String name;
        final String identity;
        final int gatewayPort = FreePorts.next();
        final int apiPort = FreePorts.next();
        final int hubPort = FreePorts.next();
        final Path dir;
        final Path config;
        final Path log;
        /** New after each kill: see {@link #kill}. */
        ApiClient api;
        HttpClient http = newHttp();
        @Nullable Process process;

        Replica(String name, KubernetesClient k8s) throws IOException {
            this.name = name;
            this.identity = name + "@127.0.0.1:" + hubPort;
            this.dir = Files.createDirectories(work.resolve(name));
            this.log = dir.resolve("daemon.log");
            String token = token(k8s, name);
            Path tokenFile = Files.writeString(dir.resolve("token"), token);
            Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
                    apiVersion: v1
                    kind: Config
                    clusters:
                    - name: test
                      cluster: { server: "%s", certificate-authority: "%s" }
                    users:
                    - name: %s
                      user: { token: "%s" }
                    contexts:
                    - name: %s
                      context: { cluster: test, user: %s, namespace: %s }
                    current-context: %s
                    """.formatted(peer.url(), peer.caCertificate(), name, token, name, name, NS, name));
            String client = "kubeconfig: \"" + kubeconfig + "\", namespace: " + NS;
            this.config = Files.writeString(dir.resolve("zeroscale.yaml"), """
                    data-dir: "%s"
                    orchestrators:
                      cluster: { type: kubernetes, kubeconfig: "%s" }
                    leadership: { type: kubernetes, %s, identity: "%s", lease-duration: %ds, renew-deadline: 15s, retry-period: 2s }
                    traffic:
                      hub: { type: kubernetes, %s, identity: "%s", listen: "127.0.0.1:%d", token-file: "%s" }
                    state-store: { type: kubernetes, %s }
                    gateway: { listen: "127.0.0.1:%d" }
                    api: { listen: "127.0.0.1:%d" }
                    targets:
                      web:
                        orchestrator: cluster
                        workload: { kind: Deployment, namespace: %s, name: web }
                        route: { path: / }
                        policy: { automaton: zero-to-n, idle: 20s, wake-timeout: 2m, replicas: { min: 0, max: 2 } }
                    """.formatted(dir.resolve("data"), kubeconfig, client, identity, LEASE.toSeconds(), client, identity,
                    hubPort, tokenFile, client, gatewayPort, apiPort, NS));
            this.api = new ApiClient(apiPort, gatewayPort);
        }

        /** Starts {@code bin/zeroscale run} and waits until its engine observes the target. */
        void start() throws IOException {
            Files.writeString(log, "---- start\n", UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Process started = new ProcessBuilder(Distribution.home().resolve("bin/zeroscale").toString(), "run", "--config",
                    config.toString()).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(Redirect.appendTo(log.toFile()))
                    .start();
            process = started;
            await(name + " observing the target").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(started.isAlive()).as("%s is running; its log:\n%s", name, tail()).isTrue();
                assertThat(state()).isNotEmpty();
            });
        }

        /** The target's state on this replica, empty while its API does not answer. */
        String state() {
            try {
                return api.target("web").path("state").asText();
            } catch (IOException | AssertionError e) {
                return "";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }

        void kill() throws InterruptedException {
            Process running = java.util.Objects.requireNonNull(process, name + " is not running");
            running.destroyForcibly(); // SIGKILL: no Lease release, no goodbye on the channel
            assertThat(running.waitFor(30, TimeUnit.SECONDS)).isTrue();
            process = null;
            // Our pooled keep-alive connections to the dead replica would hold its ports' orphaned
            // sockets in FIN_WAIT_2 (up to tcp_fin_timeout), so its restart could not bind them.
            api.close();
            http.close();
            api = new ApiClient(apiPort, gatewayPort);
            http = newHttp();
        }

        void signal(String signal) throws IOException, InterruptedException {
            Process running = java.util.Objects.requireNonNull(process, name + " is not running");
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(running.pid())).inheritIO().start();
            assertThat(kill.waitFor()).as("kill -%s %d", signal, running.pid()).isZero();
        }

        /** A request through this replica's gateway, answered on a virtual thread. */
        Future<HttpResponse<String>> request(String path) {
            return clients.submit(() -> api.request(path));
        }

        HttpResponse<String> call(String method, String path, String body) throws IOException, InterruptedException {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as("%s %s on %s: %s", method, path, name, response.body()).isEqualTo(200);
            return response;
        }

        String tail() {
            try {
                List<String> lines = Files.readAllLines(log, UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }
    }

    private static final String SCALE = "scale";
    private static final String PATCH = "patch";

    /**
     * A successful write of the Deployment's replica count, from the audit log: by which replica,
     * the count, and how: {@link #SCALE} (an update of {@code /scale}; the leader's and the
     * follower's conditional wake both carry the resource version they read, so the journal tells
     * the follower's apart), {@link #PATCH} (the Deployment's {@code spec.replicas}: a removal of
     * chosen pods).
     */
    record Write(String by, int replicas, String how) {}

    @AfterEach
    void stopAll() throws Exception {
        try {
            for (Replica replica : replicas) {
                Process process = replica.process;
                if (process != null) {
                    process.destroyForcibly();
                    process.waitFor(30, TimeUnit.SECONDS);
                }
                replica.api.close();
                replica.http.close();
            }
            clients.shutdownNow();
        } finally {
            if (peer != null) {
                peer.close();
            }
        }
    }

    @Test
    void theLeaderKilledMidWakeAndMidDrainFailsNoRequestAndActsOnce() throws Exception {
        Path policy = Files.writeString(work.resolve("audit-policy.yaml"), AUDIT_POLICY);
        audit = work.resolve("audit.log");
        peer = KubernetesPeer.builder(work.resolve("k8s"))
                .podNetwork(PodCommand.httpdAfter(Duration.ofSeconds(POD_START_SECONDS)), Duration.ofMinutes(1))
                .apiServerArgs("--audit-policy-file=" + policy, "--audit-log-path=" + audit)
                .start();
        KubernetesClient k8s = peer.client();
        OnKubernetes.webAtZero(k8s, NS);
        Replica a = new Replica("a", k8s);
        Replica b = new Replica("b", k8s);
        replicas.add(a);
        replicas.add(b);
        a.start();
        await("a leads").atMost(HANDOVER).until(() -> a.identity.equals(holder(k8s)));
        b.start();
        assertThat(b.state()).isEqualTo("ZERO");

        // 1. The leader killed in the middle of a wake.
        Future<HttpResponse<String>> held = b.request("/");
        await("the wake written").atMost(Duration.ofMinutes(1)).until(() -> replicasOf(k8s) == 1);
        assertThat(peer.podNetwork().running()).as("the pod not ready yet: its process starts " + POD_START_SECONDS + " s late")
                .allMatch(pod -> pod.readyNanos().isEmpty());
        a.kill();
        answered(held, "a request held by the follower while the leader died mid-wake");
        await("b leads").atMost(HANDOVER).until(() -> b.identity.equals(holder(k8s)));
        await("b active").atMost(Duration.ofMinutes(1)).until(() -> b.state().equals("ACTIVE"));
        List<Write> wake = writes();
        assertThat(wake).as("one write of the wake, by the leader or the follower's conditional wake")
                .hasSize(1).first().satisfiesAnyOf(
                        w -> assertThat(w).isEqualTo(new Write("a", 1, SCALE)),
                        w -> assertThat(w).isEqualTo(new Write("b", 1, SCALE)));

        // 2. The leader killed in the middle of a drain of a chosen replica (2 -> 1, held open by
        // slow requests in flight through the follower's gateway); the override it was told survives.
        b.call("PUT", "/targets/web/override", "{\"replicas\": 2}");
        a.start();
        await("2 ready").atMost(Duration.ofMinutes(1)).until(() -> b.api.target("web").path("replicas").path("ready").asInt() == 2);
        answered(a.request("/"), "through the follower's gateway");
        answered(b.request("/"), "through the leader's gateway");
        for (PodNetwork.PodProcess pod : peer.podNetwork().running()) {
            Path cgi = Files.createDirectories(pod.directory().resolve("cgi-bin")).resolve("slow");
            Files.writeString(cgi, SLOW_CGI);
            Files.setPosixFilePermissions(cgi, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<Future<HttpResponse<String>>> slow = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            slow.add(a.request("/cgi-bin/slow"));
            int inFlight = i;
            await("slow request " + i + " in flight at the leader").atMost(Duration.ofSeconds(15))
                    .until(() -> b.api.target("web").path("requests").path("inFlight").asInt() >= inFlight);
        }
        b.call("PUT", "/targets/web/override", "{\"replicas\": 1}");
        await("the override in the cluster's state store").atMost(Duration.ofSeconds(30))
                .until(() -> stored(k8s).path("override").path("replicas").asInt(-1) == 1);
        await("b draining a replica").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> b.api.journalMessages("web").stream().anyMatch(m -> m.startsWith("draining [")));
        b.kill();
        assertThat(replicasOf(k8s)).as("the drain was not finished when its leader died").isEqualTo(2);
        for (Future<HttpResponse<String>> request : slow) {
            HttpResponse<String> answer = request.get(1, TimeUnit.MINUTES);
            answers.add(answer.statusCode() + " " + answer.body());
            assertThat(answer.statusCode()).as("a slow request in flight while the leader died: %s", answer.body()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("slow\n");
        }
        await("a leads").atMost(HANDOVER).until(() -> a.identity.equals(holder(k8s)));
        await("a finishes the drain: the override from the state store").atMost(Duration.ofMinutes(1))
                .until(() -> replicasOf(k8s) == 1 && peer.podNetwork().running().size() == 1);
        assertThat(a.api.target("web").path("override").path("replicas").asInt(-1)).isEqualTo(1);
        List<Write> drain = writes();
        assertThat(drain.subList(wake.size(), drain.size())).as("the override's write by b, then the removal's by the new leader")
                .containsExactly(new Write("b", 2, SCALE), new Write("a", 1, PATCH));

        // Idle, the new leader takes the target to zero on its own.
        a.call("DELETE", "/targets/web/override", "");
        await("a takes the target to zero after idle").atMost(Duration.ofMinutes(1))
                .until(() -> replicasOf(k8s) == 0 && a.state().equals("ZERO"));
        await("the pod's process stopped").atMost(Duration.ofMinutes(1)).until(() -> peer.podNetwork().running().isEmpty());
        List<Write> idle = writes();
        // Ends with the new leader's scale to zero (seen once before it: a's write of 2 right after the override was deleted).
        assertThat(idle.subList(drain.size(), idle.size())).as("the scale to zero by the new leader").endsWith(new Write("a", 0, SCALE));

        // 3. The leader stopped (its Lease not expired): the follower wakes the target itself.
        b.start();
        assertThat(b.state()).isEqualTo("ZERO");
        int before = writes().size();
        a.signal("STOP");
        try {
            answered(b.request("/"), "through the follower's gateway while the leader is stopped");
            assertThat(holder(k8s)).as("answered before any election").isEqualTo(a.identity);
        } finally {
            a.signal("CONT");
        }
        List<Write> followerWake = writes();
        assertThat(followerWake.subList(before, followerWake.size())).as("the follower's conditional wake, the only write")
                .containsExactly(new Write("b", 1, SCALE));
        assertThat(b.api.journalMessages("web")).contains("not the leader: woke from zero (conditional, max(current, 1))");

        // 4. Override and pause set on the leader hold on the next one.
        Replica leader = a.identity.equals(holder(k8s)) ? a : b;
        Replica next = leader == a ? b : a;
        leader.call("PUT", "/targets/web/override", "{\"replicas\": 1, \"expiry\": \"10m\"}");
        leader.call("POST", "/targets/web/automation", "{\"action\": \"pause\"}");
        await("override and pause in the cluster's state store").atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode saved = stored(k8s);
            return saved.path("automationPaused").asBoolean() && saved.path("override").path("replicas").asInt(-1) == 1;
        });
        leader.kill();
        await(next.name + " leads").atMost(HANDOVER).until(() -> next.identity.equals(holder(k8s)));
        await("override and pause in force on " + next.name).atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            JsonNode target = next.api.target("web");
            assertThat(target.path("automationPaused").asBoolean()).isTrue();
            assertThat(target.path("override").path("replicas").asInt(-1)).isEqualTo(1);
        });
        answered(next.request("/"), "through the new leader's gateway");

        assertThat(answers).as("every answer through a gateway").allMatch(answer -> answer.startsWith("200 "));
        List<Write> all = writes();
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).replicas()).as("no two writes in a row of the same count: %s", all)
                    .isNotEqualTo(all.get(i - 1).replicas());
        }
        System.out.printf(java.util.Locale.ROOT, "KubernetesHandoverIT: writes of the replica count: %s%n", all);
    }

    private static HttpClient newHttp() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    private void answered(Future<HttpResponse<String>> request, String what) throws Exception {
        HttpResponse<String> response = request.get(2, TimeUnit.MINUTES);
        answers.add(response.statusCode() + " " + response.body());
        assertThat(response.statusCode()).as("%s: %s", what, response.body()).isEqualTo(200);
        assertThat(response.body()).as("answered by the Deployment's pod").startsWith("web-");
    }

    private static @Nullable String holder(KubernetesClient k8s) {
        Lease lease = k8s.resources(Lease.class).inNamespace(NS).withName("zeroscale").get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** The target's operator state as the ConfigMap state store holds it (an empty object when none). */
    private static JsonNode stored(KubernetesClient k8s) throws IOException {
        for (ConfigMap map : k8s.configMaps().inNamespace(NS).withLabel("zeroscale.io/state-store", "zeroscale").list().getItems()) {
            if ("targets/web.json".equals(map.getMetadata().getAnnotations().get("zeroscale.io/state-key"))) {
                return JSON.readTree(Base64.getDecoder().decode(map.getBinaryData().get("document")));
            }
        }
        return JSON.createObjectNode();
    }

    private static int replicasOf(KubernetesClient k8s) {
        return k8s.apps().deployments().inNamespace(NS).withName("web").get().getSpec().getReplicas();
    }

    /**
     * The successful writes of the Deployment's {@code spec.replicas} by the daemons, in the order
     * the API server completed them: updates of {@code deployments/scale}, and patches or updates of
     * the Deployment that set {@code spec.replicas} (a partial scale-down's).
     */
    private List<Write> writes() throws IOException {
        List<Write> writes = new ArrayList<>();
        if (!Files.exists(audit)) {
            return writes;
        }
        for (String line : Files.readAllLines(audit, UTF_8)) {
            JsonNode event = JSON.readTree(line);
            JsonNode object = event.path("objectRef");
            String user = event.path("user").path("username").asText();
            int code = event.path("responseStatus").path("code").asInt();
            JsonNode replicasNode = event.path("requestObject").path("spec").path("replicas");
            boolean scale = object.path("subresource").asText().equals("scale");
            if (!event.path("stage").asText().equals("ResponseComplete") || code / 100 != 2
                    || !user.startsWith("system:serviceaccount:" + NS + ":") || !object.path("name").asText().equals("web")
                    || object.path("subresource").asText().equals("status") || !(scale || replicasNode.isNumber())) {
                continue;
            }
            // The audit log holds the Scale as the API server encodes it: spec.replicas is omitempty, so 0 is left out.
            int replicas = scale ? replicasNode.asInt(0) : replicasNode.asInt();
            writes.add(new Write(user.substring(user.lastIndexOf(':') + 1), replicas, scale ? SCALE : PATCH));
        }
        return writes;
    }

    /** A ServiceAccount {@code name} of the namespace, bound to cluster-admin, and a token for it. */
    private static String token(KubernetesClient k8s, String name) {
        k8s.serviceAccounts().inNamespace(NS).resource(new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata()
                .build()).create();
        k8s.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata().withName("zeroscale-" + name)
                .endMetadata().withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole")
                .withName("cluster-admin").endRoleRef().addNewSubject().withKind("ServiceAccount").withName(name).withNamespace(NS)
                .endSubject().build()).create();
        return k8s.serviceAccounts().inNamespace(NS).withName(name)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }
}
