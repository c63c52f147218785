package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest of {@code deploy/kubernetes/} and the Helm chart {@code deploy/helm/zeroscale}
 * rendered by {@code helm template} (every namespace, and a list of namespaces) are accepted by the
 * real API server, each object through a server-side apply with {@code dryRun=All} (the API server
 * runs defaulting, validation and admission, and stores nothing). The ServiceMonitor needs the
 * Prometheus Operator's CRD, which this control plane does not have: a small copy of its schema
 * ({@code servicemonitors.monitoring.coreos.com.yaml} in the test resources) is installed first.
 * Broken manifests are refused, so this test can fail. The chart renders the same objects as
 * {@code deploy/kubernetes/} (same kinds and names, same rules, same container, same config).
 */
class DeployManifestsIT {
    private static final String NAMESPACE = "zeroscale";
    private static final String HELM_VERSION = "v4.3.2";
    private static final String HELM_INSTALL = "build it with: ./scripts/test (runs scripts/peers.d/helm.sh), or bash -c "
            + "'source scripts/peers.sh && source scripts/peers.d/kubernetes.sh && source scripts/peers.d/helm.sh && zs_peer_helm'";

    @TempDir
    static Path helmHome;

    private static Path deploy() {
        return Path.of(System.getProperty("zeroscale.deploy", "../deploy"));
    }

    @BeforeAll
    static void crdsAndNamespace() throws IOException {
        KubernetesClient admin = ControlPlane.client();
        for (String crd : List.of("scaledtargets.zeroscale.io.yaml", "servicemonitors.monitoring.coreos.com.yaml")) {
            try (InputStream in = crd.startsWith("scaledtargets") ? Files.newInputStream(deploy().resolve("kubernetes").resolve(crd))
                    : DeployManifestsIT.class.getResourceAsStream("/" + crd)) {
                CustomResourceDefinition applied = admin.apiextensions().v1().customResourceDefinitions().load(in).serverSideApply();
                await("CRD " + applied.getMetadata().getName() + " established").atMost(Duration.ofSeconds(30))
                        .until(() -> established(admin.apiextensions().v1().customResourceDefinitions()
                                .withName(applied.getMetadata().getName()).get()));
            }
        }
        namespace(admin, NAMESPACE);
    }

    private static boolean established(CustomResourceDefinition crd) {
        return crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
                .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True"));
    }

    private static void namespace(KubernetesClient admin, String name) {
        if (admin.namespaces().withName(name).get() == null) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        }
    }

    @Test
    void everyManifestOfDeployKubernetesIsAccepted() throws IOException {
        List<HasMetadata> items = manifests();
        assertThat(kinds(items)).contains("Namespace/zeroscale", "ServiceAccount/zeroscale/zeroscale", "ClusterRole/zeroscale",
                "ClusterRoleBinding/zeroscale", "ConfigMap/zeroscale/zeroscale", "Deployment/zeroscale/zeroscale",
                "PodDisruptionBudget/zeroscale/zeroscale", "Service/zeroscale/zeroscale-gateway", "Service/zeroscale/zeroscale-api",
                "ServiceMonitor/zeroscale/zeroscale", "NetworkPolicy/zeroscale/zeroscale", "CustomResourceDefinition/scaledtargets.zeroscale.io");
        Deployment daemon = find(items, Deployment.class);
        assertThat(daemon.getSpec().getReplicas()).as("two daemon replicas").isEqualTo(2);
        assertThat(daemon.getSpec().getTemplate().getSpec().getContainers().getFirst().getPorts())
                .as("the replica channel's port is the pod's port named hub")
                .anyMatch(p -> "hub".equals(p.getName()) && p.getContainerPort() == 7946);
        @SuppressWarnings("unchecked")
        Map<String, Object> hub = (Map<String, Object>) ((Map<String, Object>) config(find(items, ConfigMap.class)).get("traffic")).get("hub");
        assertThat(hub).as("the replica channel in the daemon config").containsEntry("type", "kubernetes")
                .containsEntry("listen", "0.0.0.0:7946").containsEntry("callers", List.of("system:serviceaccount:zeroscale:zeroscale"));
        dryRunAll(items);
        assertThat(ControlPlane.client().apps().deployments().inNamespace(NAMESPACE).withName("zeroscale").get())
                .as("a dry run stores nothing").isNull();
    }

    @Test
    void theHelmChartRendersTheSameObjectsAndIsAccepted() throws Exception {
        List<HasMetadata> shipped = manifests();
        List<HasMetadata> rendered = helmTemplate();
        Set<String> expected = new TreeSet<>(kinds(shipped));
        expected.removeIf(k -> k.startsWith("Namespace/") || k.startsWith("CustomResourceDefinition/"));
        assertThat(kinds(rendered)).as("the chart's objects, release zeroscale").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(find(rendered, ClusterRole.class).getRules()).as("the chart's rules are rbac.yaml's")
                .containsExactlyElementsOf(find(shipped, ClusterRole.class).getRules());
        PodSpec chartPod = find(rendered, Deployment.class).getSpec().getTemplate().getSpec();
        PodSpec shippedPod = find(shipped, Deployment.class).getSpec().getTemplate().getSpec();
        assertThat(chartPod.getContainers()).isEqualTo(shippedPod.getContainers());
        assertThat(chartPod.getVolumes()).isEqualTo(shippedPod.getVolumes());
        assertThat(chartPod.getSecurityContext()).isEqualTo(shippedPod.getSecurityContext());
        assertThat(find(rendered, Deployment.class).getSpec().getReplicas()).isEqualTo(2);
        assertThat(config(find(rendered, ConfigMap.class))).as("the chart's daemon config").isEqualTo(config(find(shipped, ConfigMap.class)));
        assertThat(Files.readString(deploy().resolve("helm/zeroscale/crds/scaledtargets.zeroscale.io.yaml")))
                .as("the chart's CRD is deploy/kubernetes's (copy it after regenerating)")
                .isEqualTo(Files.readString(deploy().resolve("kubernetes/scaledtargets.zeroscale.io.yaml")));
        dryRunAll(rendered);
    }

    @Test
    void theHelmChartWatchingListedNamespacesUsesRoles() throws Exception {
        KubernetesClient admin = ControlPlane.client();
        namespace(admin, "team-a");
        namespace(admin, "team-b");
        List<HasMetadata> rendered = helmTemplate("--set-json", "watchNamespaces=[\"team-a\",\"team-b\"]", "--set", "replicas=3");
        assertThat(kinds(rendered)).as("Roles instead of the ClusterRole, but for the cluster-scoped TokenReviews")
                .contains("Role/team-a/zeroscale", "RoleBinding/team-a/zeroscale", "Role/team-b/zeroscale", "RoleBinding/team-b/zeroscale",
                        "Role/zeroscale/zeroscale-leader", "RoleBinding/zeroscale/zeroscale-leader",
                        "ClusterRole/zeroscale-tokenreview", "ClusterRoleBinding/zeroscale-tokenreview")
                .filteredOn(k -> k.startsWith("ClusterRole")).hasSize(2);
        List<PolicyRule> rules = new ArrayList<>();
        rendered.stream().filter(Role.class::isInstance).map(Role.class::cast)
                .filter(r -> !r.getMetadata().getNamespace().equals("team-b")).forEach(r -> rules.addAll(r.getRules()));
        rules.addAll(find(rendered, ClusterRole.class).getRules());
        List<PolicyRule> expected = new ArrayList<>(find(manifests(), ClusterRole.class).getRules());
        // The replica channel finds the leader's pod in the daemon's namespace, which may not be watched.
        PolicyRule podsGet = new PolicyRule();
        podsGet.setApiGroups(List.of(""));
        podsGet.setResources(List.of("pods"));
        podsGet.setVerbs(List.of("get"));
        expected.add(podsGet);
        assertThat(rules).as("one namespace's Role, the daemon namespace's and the TokenReview ClusterRole: rbac.yaml's rules"
                + " and get pods in the daemon's namespace").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(find(rendered, Deployment.class).getSpec().getReplicas()).isEqualTo(3);
        @SuppressWarnings("unchecked")
        Map<String, Object> sources = (Map<String, Object>) config(find(rendered, ConfigMap.class)).get("target-sources");
        assertThat(sources).containsOnlyKeys("resources-team-a", "resources-team-b");
        assertThat(sources.get("resources-team-a")).asString().contains("namespace=team-a");
        dryRunAll(rendered);
    }

    @Test
    void brokenManifestsAreRefused() throws IOException {
        KubernetesClient admin = ControlPlane.client();
        Deployment daemon = find(manifests(), Deployment.class);
        daemon.getSpec().getTemplate().getMetadata().getLabels().put("app.kubernetes.io/component", "other");
        assertThatThrownBy(() -> admin.resource(daemon).dryRun().serverSideApply()).as("a selector its pods do not match")
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("422")
                .hasMessageContaining("does not match template");

        GenericKubernetesResource monitor = find(manifests(), GenericKubernetesResource.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> endpoint = ((List<Map<String, Object>>) ((Map<String, Object>) monitor.getAdditionalProperties()
                .get("spec")).get("endpoints")).getFirst();
        endpoint.put("interval", "30 seconds");
        assertThatThrownBy(() -> admin.resource(monitor).dryRun().serverSideApply()).as("a ServiceMonitor interval that is no duration")
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("422")
                .hasMessageContaining("spec.endpoints[0].interval");
        endpoint.put("interval", "30s");
        endpoint.put("intervall", "30s");
        assertThatThrownBy(() -> admin.resource(monitor).dryRun().serverSideApply()).as("a misspelt ServiceMonitor field")
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("intervall");
    }

    /** Applies each object with dryRun=All and checks the API server answered with it. */
    private static void dryRunAll(List<HasMetadata> items) {
        KubernetesClient admin = ControlPlane.client();
        for (HasMetadata item : items) {
            String id = kind(item);
            HasMetadata answered;
            try {
                // Forced: RbacIT edits the same ClusterRole under another field manager.
                answered = admin.resource(item).dryRun().fieldManager("zeroscale-deploy-check").forceConflicts().serverSideApply();
            } catch (KubernetesClientException e) {
                throw new AssertionError(id + " refused by the API server: " + e.getMessage(), e);
            }
            assertThat(answered).as(id).isNotNull();
            assertThat(kind(answered)).as("the API server's answer for " + id).isEqualTo(id);
        }
    }

    /** Every object of every file of deploy/kubernetes/. */
    private static List<HasMetadata> manifests() throws IOException {
        List<HasMetadata> items = new ArrayList<>();
        try (Stream<Path> files = Files.list(deploy().resolve("kubernetes"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    items.addAll(ControlPlane.client().load(in).items());
                }
            }
        }
        return items;
    }

    /** {@code helm template zeroscale deploy/helm/zeroscale --namespace zeroscale ARGS}, loaded. */
    private static List<HasMetadata> helmTemplate(String... args) throws Exception {
        Path helm = helm();
        List<String> command = new ArrayList<>(List.of(helm.toString(), "template", "zeroscale",
                deploy().resolve("helm/zeroscale").toString(), "--namespace", NAMESPACE));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false);
        builder.environment().put("HELM_CACHE_HOME", helmHome.resolve("cache").toString());
        builder.environment().put("HELM_CONFIG_HOME", helmHome.resolve("config").toString());
        builder.environment().put("HELM_DATA_HOME", helmHome.resolve("data").toString());
        Path err = Files.createTempFile(helmHome, "helm", ".err");
        builder.redirectError(err.toFile());
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("helm template did not finish within 60 s: " + command);
        }
        assertThat(process.exitValue()).as("helm template %s: %s", command, Files.readString(err)).isZero();
        return ControlPlane.client().load(new ByteArrayInputStream(out)).items();
    }

    private static Path helm() {
        String home = System.getenv().getOrDefault("ZS_HELM_HOME", "/opt/zeroscale-peers/helm-" + HELM_VERSION);
        Path helm = Path.of(System.getProperty("zeroscale.helm", home + "/bin/helm"));
        if (!Files.isExecutable(helm)) {
            fail("helm " + HELM_VERSION + " not found at " + helm + "; " + HELM_INSTALL);
        }
        return helm;
    }

    private static Map<String, Object> config(ConfigMap map) {
        @SuppressWarnings("unchecked")
        Map<String, Object> parsed = ControlPlane.client().getKubernetesSerialization()
                .unmarshal(map.getData().get("zeroscale.yaml"), Map.class);
        return parsed;
    }

    private static <T> T find(List<HasMetadata> items, Class<T> type) {
        List<T> found = items.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as("exactly one %s", type.getSimpleName()).hasSize(1);
        return found.getFirst();
    }

    private static List<String> kinds(List<HasMetadata> items) {
        return items.stream().map(DeployManifestsIT::kind).toList();
    }

    private static String kind(HasMetadata item) {
        String namespace = item.getMetadata().getNamespace();
        return item.getKind() + "/" + (namespace == null ? "" : namespace + "/") + item.getMetadata().getName();
    }
}
