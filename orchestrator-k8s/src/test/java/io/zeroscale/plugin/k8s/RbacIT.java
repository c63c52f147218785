package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.targets.TargetChange;
import io.zeroscale.spi.targets.TargetListener;
import io.zeroscale.testkit.TestPluginContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code deploy/kubernetes/rbac.yaml} on the real API server, with a real token of its
 * ServiceAccount (TokenRequest): the plugin attaches, observes and scales a Deployment and takes a
 * {@code ScaledTarget} as a target and writes its status, writes an Event for a state change on the
 * Deployment (and counts its repeat on it), reads a pod's container log, writes the EndpointSlice of a target
 * whose clients bypass the gateway when warm, and leads through a Lease (acquired, then renewed). Then
 * each rule of the ClusterRole is removed in turn, and the operation that rule is for fails with
 * 403 naming the resource.
 *
 * <p>The fake nodes have no kubelet, so a log read cannot return a log: with the rule, the API
 * server answers with its failure to reach the node (not 403: the read was authorized and
 * attempted); without it, 403 before it tries.
 */
class RbacIT {
    private static final String SA_NAMESPACE = "zeroscale";
    private static final String USER = "system:serviceaccount:zeroscale:zeroscale";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Rule index of the shipped ClusterRole -> the operation that fails without it and the resource it names. */
    private static final List<List<String>> BROKEN_BY = List.of(
            List.of("attach", "\"deployments\""),
            List.of("scale", "\"deployments/scale\""),
            List.of("observe", "\"pods\""),
            List.of("attach", "\"services\""),
            List.of("observe", "\"endpointslices\""),
            List.of("switch the data path", "\"endpointslices\""),
            List.of("attach", "\"horizontalpodautoscalers\""),
            List.of("watch ScaledTargets", "\"scaledtargets\""),
            List.of("write ScaledTarget status", "\"scaledtargets/status\""),
            List.of("write Events", "\"events\""),
            List.of("read a container's log", "\"pods/log\""),
            List.of("lead", "\"leases\""),
            List.of("follow the Lease's holder", "\"leases\""),
            List.of("review callers' tokens", "\"tokenreviews\""),
            List.of("keep operator state", "\"configmaps\""));

    @TempDir
    Path data;

    private static Path deploy(String file) {
        return Path.of(System.getProperty("zeroscale.deploy", "../deploy")).resolve("kubernetes").resolve(file);
    }

    @Test
    void theShippedRoleSufficesAndEachRuleIsNeeded() throws Exception {
        KubernetesClient admin = ControlPlane.client();
        installCrd(admin);
        if (admin.namespaces().withName(SA_NAMESPACE).get() == null) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(SA_NAMESPACE).endMetadata().build()).create();
        }
        ClusterRole shipped = null;
        try (InputStream in = Files.newInputStream(deploy("rbac.yaml"))) {
            for (HasMetadata item : admin.load(in).items()) {
                admin.resource(item).serverSideApply();
                if (item instanceof ClusterRole role) {
                    shipped = role;
                }
            }
        }
        assertThat(shipped).as("rbac.yaml has a ClusterRole").isNotNull();
        List<PolicyRule> rules = shipped.getRules();
        assertThat(rules).as("one expected failure per rule").hasSize(BROKEN_BY.size());
        String token = admin.serviceAccounts().inNamespace(SA_NAMESPACE).withName("zeroscale")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
        Path kubeconfig = Files.writeString(data.resolve("sa-kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{ name: c, cluster: { server: "%s", certificate-authority: "%s" } }]
                users: [{ name: sa, user: { token: "%s" } }]
                contexts: [{ name: sa, context: { cluster: c, user: sa } }]
                current-context: sa
                """.formatted(ControlPlane.peer().url(), ControlPlane.peer().caCertificate(), token));

        try {
            role(admin, shipped, rules, -1);
            assertThat(run(kubeconfig)).as("every operation works under the shipped role").isEmpty();
            for (int removed = 0; removed < rules.size(); removed++) {
                role(admin, shipped, rules, removed);
                Map<String, String> failures = run(kubeconfig);
                String operation = BROKEN_BY.get(removed).get(0);
                assertThat(failures).as("without rule %d (%s %s)", removed, rules.get(removed).getResources(), rules.get(removed).getVerbs())
                        .containsOnlyKeys(operation);
                assertThat(failures.get(operation)).as("without rule %d", removed).contains("403").contains("forbidden")
                        .contains(BROKEN_BY.get(removed).get(1));
            }
        } finally {
            role(admin, shipped, rules, -1);
        }
    }

    /** Sets the ClusterRole to the shipped rules without rule {@code removed} (-1: all), and waits until authorization says so. */
    private static void role(KubernetesClient admin, ClusterRole shipped, List<PolicyRule> rules, int removed) {
        List<PolicyRule> kept = new ArrayList<>(rules);
        if (removed >= 0) {
            kept.remove(removed);
        }
        admin.rbac().clusterRoles().withName(shipped.getMetadata().getName()).edit(role -> {
            role.setRules(kept);
            return role;
        });
        await("authorization follows the role").atMost(TIMEOUT).until(() -> {
            for (int i = 0; i < rules.size(); i++) {
                PolicyRule rule = rules.get(i);
                String[] resource = rule.getResources().getFirst().split("/");
                boolean allowed = admin.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
                        .withNewSpec().withUser(USER).withGroups("system:serviceaccounts", "system:serviceaccounts:" + SA_NAMESPACE,
                                "system:authenticated")
                        .withNewResourceAttributes().withGroup(rule.getApiGroups().getFirst()).withResource(resource[0])
                        .withSubresource(resource.length > 1 ? resource[1] : null).withVerb(rule.getVerbs().getFirst())
                        .withNamespace("default").endResourceAttributes().endSpec().build()).getStatus().getAllowed();
                if (allowed != (i != removed)) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * The plugin's operations as the ServiceAccount, in a fresh namespace: the orchestrator's
     * attach, observe and scale of a Deployment (stopping at the first failure), and the target
     * source's watch of ScaledTargets and its status write.
     *
     * @return each failed operation with its error message
     */
    private Map<String, String> run(Path kubeconfig) throws Exception {
        Map<String, String> failures = new HashMap<>();
        String namespace = ControlPlane.namespace("rbac");
        Workload workload = ControlPlane.deployment(namespace, "web");
        TargetRef ref = workload.target();
        try (TestPluginContext context = TestPluginContext.realTime(data.resolve(namespace))) {
            KubernetesOrchestrator orchestrator = (KubernetesOrchestrator) new KubernetesOrchestratorFactory().create(
                    ControlPlane.ORCHESTRATOR, Config.of("orchestrators.k8s", Map.of("type", "kubernetes", "kubeconfig",
                            kubeconfig.toString(), "timeout", "5s", "gateway", Map.of("service", "gw", "namespace", namespace))),
                    context);
            try {
                String failed = attempt(failures, "attach", () -> orchestrator.attach(workload));
                if (failed == null) {
                    failed = attempt(failures, "observe", () -> orchestrator.observe(ref));
                }
                if (failed == null) {
                    failed = attempt(failures, "scale", () -> orchestrator.scale(ref, 1));
                }
                if (failed == null) {
                    attempt(failures, "switch the data path", () -> dataPath(orchestrator, namespace));
                    events(orchestrator, context, ref, namespace, failures);
                    log(orchestrator, namespace, failures);
                }
            } finally {
                orchestrator.close();
            }
            source(kubeconfig, namespace, context, failures);
            lead(kubeconfig, namespace, context, failures);
            hub(kubeconfig, namespace, context, failures);
            attempt(failures, "keep operator state", () -> state(kubeconfig, namespace, context));
        } finally {
            ControlPlane.stopAll(namespace, TIMEOUT);
        }
        return failures;
    }

    /**
     * A target with {@code data-path: bypass-when-warm}: its clients sent to the gateway, which
     * writes its Service's EndpointSlice (server-side apply: create), then to its pods (patch).
     */
    private static void dataPath(KubernetesOrchestrator orchestrator, String namespace) {
        ControlPlane.gatewayService(namespace, "gw", 8085, "10.250.0.1");
        Workload direct = ControlPlane.bypassingDeployment(namespace, "direct");
        orchestrator.attach(direct);
        orchestrator.sendThroughGateway(direct.target());
        orchestrator.sendDirect(direct.target()); // no ready pod: the gateway still, so nothing written
        assertThat(ControlPlane.client().discovery().v1().endpointSlices().inNamespace(namespace)
                .withName(DataPath.sliceName("direct")).get().getMetadata().getLabels()).containsEntry(DataPath.PATH_LABEL, "gateway");
    }

    private static void source(Path kubeconfig, String namespace, TestPluginContext context, Map<String, String> failures)
            throws Exception {
        List<TargetChange> changes = new CopyOnWriteArrayList<>();
        TargetListener listener = changes::add;
        ScaledTargets source = (ScaledTargets) new ScaledTargetsFactory().create("rbac", Config.of("target-sources.rbac", Map.of(
                "type", "kubernetes", "kubeconfig", kubeconfig.toString(), "namespace", namespace, "orchestrator",
                ControlPlane.ORCHESTRATOR)), context);
        try {
            source.subscribe(listener);
            // A refused list is retried (the permission may come later): its failure is what is reported.
            await("the watch started, or refused").atMost(TIMEOUT).until(() -> source.started().isDone()
                    || String.valueOf(source.lastWatchFailure()).contains("code=403"));
            if (!source.started().isDone()) {
                failures.put("watch ScaledTargets", String.valueOf(source.lastWatchFailure()));
                return;
            }
            var resources = ControlPlane.client().genericKubernetesResources(ScaledTargets.CONTEXT).inNamespace(namespace);
            resources.resource(new GenericKubernetesResourceBuilder().withApiVersion("zeroscale.io/v1alpha1").withKind("ScaledTarget")
                    .withNewMetadata().withName("web").endMetadata()
                    .addToAdditionalProperties("spec", Map.of("workload", Map.of("kind", "Deployment"))).build()).create();
            await("the target added").atMost(TIMEOUT).until(() -> !changes.isEmpty());
            assertThat(changes.getFirst().added()).extracting(d -> d.name()).containsExactly(namespace + ".web");
            await("the status written, or refused").atMost(TIMEOUT).until(() -> source.lastStatusFailure() != null
                    || status(resources.withName("web").get()) != null);
            String refused = source.lastStatusFailure();
            if (refused != null) {
                failures.put("write ScaledTarget status", refused);
            }
        } finally {
            source.close();
        }
    }

    /**
     * The leader's state change (as the engine publishes it) written as an Event on the Deployment
     * (create), and its repeat counted on it (patch of {@code series}), or refused.
     */
    private static void events(KubernetesOrchestrator orchestrator, TestPluginContext context, TargetRef ref, String namespace,
            Map<String, String> failures) {
        for (int i = 0; i < 2; i++) {
            context.publish(new EngineEvent.Decided(Instant.now(), ref, "ZERO", "WAKING",
                    Decision.of(1, Routing.HOLD, "a request is held"), true));
        }
        await("the Event written and its repeat counted, or refused").atMost(TIMEOUT).until(() -> orchestrator.lastEventFailure() != null
                || ControlPlane.client().events().v1().events().inNamespace(namespace).list().getItems().stream()
                        .anyMatch(e -> WorkloadEvents.CONTROLLER.equals(e.getReportingController())
                                && "Waking".equals(e.getReason()) && ref.name().equals(e.getRegarding().getName())
                                && e.getSeries() != null && e.getSeries().getCount() == 2));
        String refused = orchestrator.lastEventFailure();
        if (refused != null) {
            failures.put("write Events", refused);
        }
    }

    /**
     * The log read PodFailures makes for a crashed container (the exited instance's), of the
     * Deployment's pod. Only a 403 is a failure here: the fake node has no kubelet to serve the log.
     */
    private static void log(KubernetesOrchestrator orchestrator, String namespace, Map<String, String> failures) {
        String pod = await("the pod created").atMost(TIMEOUT).until(() -> ControlPlane.client().pods().inNamespace(namespace)
                .withLabel("app", "web").list().getItems().stream().map(p -> p.getMetadata().getName()).findFirst().orElse(null),
                name -> name != null);
        try {
            String text = orchestrator.readLog(namespace, pod, "app", true, PodFailures.OUTPUT_LINES);
            System.out.println("RbacIT: pods/log of a fake node's pod answered " + text);
        } catch (KubernetesClientException e) {
            System.out.println("RbacIT: pods/log of a fake node's pod answered " + e.getCode() + " " + e.getMessage());
            if (e.getCode() == 403) {
                failures.put("read a container's log", e.getCode() + " " + e.getMessage());
            } else if (!e.getMessage().contains("/containerLogs/" + namespace + "/" + pod + "/app")) {
                // Authorized, the API server asks the pod's node for the log (and finds no kubelet there).
                failures.put("read a container's log", "not passed on to the node: " + e.getCode() + " " + e.getMessage());
            }
        }
    }

    /**
     * Leadership through a Lease in {@code namespace}: acquired (get, create) and renewed once
     * (update), or refused.
     */
    private static void lead(Path kubeconfig, String namespace, TestPluginContext context, Map<String, String> failures) {
        KubernetesLeadership leadership = (KubernetesLeadership) new KubernetesLeadershipFactory().create(Config.of("leadership",
                Map.of("type", "kubernetes", "kubeconfig", kubeconfig.toString(), "namespace", namespace, "identity", "rbac",
                        "lease-duration", "4s", "renew-deadline", "3s", "retry-period", "500ms")), context);
        try {
            await("the Lease acquired, or refused").atMost(TIMEOUT)
                    .until(() -> leadership.isLeader() || String.valueOf(leadership.lastFailure()).startsWith("403"));
            if (!leadership.isLeader()) {
                failures.put("lead", String.valueOf(leadership.lastFailure()));
                return;
            }
            var lease = ControlPlane.client().resources(Lease.class).inNamespace(namespace).withName("zeroscale");
            await("the Lease renewed, or the renewal refused").atMost(TIMEOUT).until(() -> {
                Lease held = lease.get();
                return leadership.lastFailure() != null || held != null && "rbac".equals(held.getSpec().getHolderIdentity())
                        && held.getSpec().getRenewTime() != null && held.getSpec().getAcquireTime() != null
                        && held.getSpec().getRenewTime().isAfter(held.getSpec().getAcquireTime());
            });
            if (leadership.lastFailure() != null) {
                failures.put("lead", String.valueOf(leadership.lastFailure()));
            }
        } finally {
            leadership.close();
        }
    }

    /**
     * The traffic hub's replica channel: it follows the holder of a Lease (list, watch), and a call
     * on its channel with the ServiceAccount's own token is checked with a TokenReview (create); or
     * refused.
     */
    private void hub(Path kubeconfig, String namespace, TestPluginContext context, Map<String, String> failures) throws Exception {
        Path tokenFile = Files.writeString(data.resolve(namespace + "-token"), token(ControlPlane.client()));
        ControlPlane.client().resources(Lease.class).inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.coordination.v1
                .LeaseBuilder().withNewMetadata().withName("hub").endMetadata().withNewSpec().withHolderIdentity("rbac-hub")
                .endSpec().build()).create();
        try (KubernetesTrafficHub hub = (KubernetesTrafficHub) new KubernetesTrafficHubFactory().create(Config.of("traffic.hub",
                Map.of("kubeconfig", kubeconfig.toString(), "namespace", namespace, "lease", "hub", "identity", "rbac-hub",
                        "listen", "127.0.0.1:" + KubernetesTrafficHubIT.freePort(), "token-file", tokenFile.toString(), "callers", List.of(USER))), context,
                new RecordingHub())) {
            await("the Lease's holder seen, or the watch refused").atMost(TIMEOUT)
                    .until(() -> hub.leading() || String.valueOf(hub.leaseWatchFailure()).contains("code=403"));
            if (!hub.leading()) {
                failures.put("follow the Lease's holder", String.valueOf(hub.leaseWatchFailure()));
                return;
            }
            java.net.http.HttpResponse<String> answer = RecordingHub.call(hub.address(), Files.readString(tokenFile),
                    "{\"call\":\"heartbeat\",\"gateway\":\"g\"}");
            if (answer.statusCode() != 204) {
                // The message is a JSON string: read it back, so the resource's quotes are plain.
                failures.put("review callers' tokens", answer.statusCode() + " " + HubWire.JSON.readTree(answer.body()).path("error").asText());
            }
        }
    }

    /** The state store as the ServiceAccount: a document written, read, listed, replaced and deleted. */
    private static void state(Path kubeconfig, String namespace, TestPluginContext context) {
        try (var store = new ConfigMapStateStoreFactory().create(Config.of("state-store", Map.of("kubeconfig", kubeconfig.toString(),
                "namespace", namespace)), context)) {
            store.write("targets/web.json", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            store.write("targets/web.json", "{\"paused\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(store.read("targets/web.json")).isPresent();
            assertThat(store.keys("targets/")).containsExactly("targets/web.json");
            store.delete("targets/web.json");
        }
    }

    /** A token of the shipped ServiceAccount (TokenRequest). */
    static String token(KubernetesClient admin) {
        return admin.serviceAccounts().inNamespace(SA_NAMESPACE).withName("zeroscale")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }

    private static @Nullable Object status(GenericKubernetesResource resource) {
        return resource.getAdditionalProperties().get("status");
    }

    private static @Nullable String attempt(Map<String, String> failures, String operation, Runnable call) {
        try {
            call.run();
            return null;
        } catch (RuntimeException e) {
            failures.put(operation, e.getMessage());
            return operation;
        }
    }

    static void installCrd(KubernetesClient admin) throws Exception {
        if (admin.apiextensions().v1().customResourceDefinitions().withName("scaledtargets.zeroscale.io").get() == null) {
            try (InputStream in = Files.newInputStream(deploy("scaledtargets.zeroscale.io.yaml"))) {
                CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().load(in).item();
                admin.apiextensions().v1().customResourceDefinitions().resource(crd).create();
            }
        }
        await("the CRD established").atMost(TIMEOUT).until(() -> {
            CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().withName("scaledtargets.zeroscale.io")
                    .get();
            return crd.getStatus() != null && crd.getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"));
        });
    }
}
