package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon configs shipped for Kubernetes cannot go stale: the one embedded in
 * {@code deploy/kubernetes/config.yaml}'s ConfigMap, and the one the Helm chart renders (with a
 * list of namespaces and a static target, the chart's branches that the default values do not
 * take; its default rendering equals the ConfigMap's, which orchestrator-k8s's DeployManifestsIT
 * checks), go through the daemon's own loader and {@code zeroscale validate}'s checks
 * (the distribution's {@code bin/zeroscale validate}: schema, ${ENV} variables, every plugin type and
 * each plugin's own keys, with the distribution's plugins) as it would run in the daemon's pod.
 * Only {@code ZEROSCALE_TOKEN} is supplied, as the Deployment does from its Secret.
 */
class ShippedKubernetesConfigIT {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String HELM_VERSION = "v4.3.2";

    @TempDir
    Path work;

    @Test
    void theConfigMapsDaemonConfigIsValid() throws Exception {
        Path manifest = deploy().resolve("kubernetes/config.yaml");
        DaemonConfig config = validate(configMapConfig(List.of(YAML.readTree(manifest.toFile()))), manifest.toString());

        assertThat(config.orchestrators()).containsOnlyKeys("cluster");
        assertThat(config.targetSources()).containsOnlyKeys("resources");
        assertThat(config.leadership()).isNotNull();
        assertThat(config.stateStore()).isNotNull();
        assertThat(config.trafficHub()).isNotNull();
    }

    @Test
    void theHelmChartsRenderedDaemonConfigIsValid() throws Exception {
        List<JsonNode> rendered = helmTemplate("--set-json", "watchNamespaces=[\"team-a\",\"team-b\"]", "--set-json",
                "targets={\"web\":{\"orchestrator\":\"cluster\",\"workload\":{\"kind\":\"Deployment\",\"namespace\":\"team-a\","
                        + "\"name\":\"web\"},\"route\":{\"path\":\"/\"},\"policy\":{\"idle\":\"5m\"}}}");
        DaemonConfig config = validate(configMapConfig(rendered), "helm template deploy/helm/zeroscale");

        assertThat(config.targetSources()).containsOnlyKeys("resources-team-a", "resources-team-b");
        assertThat(config.targets()).extracting(target -> target.name()).containsExactly("web");
    }

    /**
     * Loads {@code yaml} with the daemon's own loader (for the assertions on its shape), then runs
     * the distribution's {@code bin/zeroscale validate --config} on it as in the daemon's pod: the
     * shipped config says {@code in-cluster: true}, which the kubernetes plugin checks when
     * validate creates the orchestrator, so the command runs in a mount namespace of its own
     * ({@code unshare}) with a service account mounted where a pod has it (a tmpfs over
     * {@code /run}: the machine's own {@code /run} is untouched) and {@code KUBERNETES_SERVICE_HOST}
     * set to a loopback port nothing listens on (validate contacts no cluster).
     */
    private DaemonConfig validate(String yaml, String source) throws IOException, InterruptedException {
        DaemonConfig config = new ConfigLoader(Map.of("ZEROSCALE_TOKEN", "a-token")::get).parse(yaml, source, work, Map.of());
        Path file = Files.writeString(work.resolve("zeroscale.yaml"), yaml, UTF_8);
        Path account = Files.createDirectories(work.resolve("serviceaccount"));
        Files.writeString(account.resolve("token"), "not-a-real-token", UTF_8);
        Files.writeString(account.resolve("namespace"), "zeroscale", UTF_8);
        Files.copy(Path.of("/etc/ssl/certs/ca-certificates.crt"), account.resolve("ca.crt"));
        String mounted = "/run/secrets/kubernetes.io/serviceaccount";
        List<String> command = List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs zeroscale-test /run && mkdir -p " + mounted + " && cp \"$1\"/* " + mounted + "/"
                        + " && exec \"$2\" validate --config \"$3\"",
                "sh", account.toString(), Distribution.home().resolve("bin/zeroscale").toString(), file.toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        builder.environment().put("KUBERNETES_SERVICE_HOST", "127.0.0.1");
        builder.environment().put("KUBERNETES_SERVICE_PORT", "1");
        builder.environment().put("ZEROSCALE_TOKEN", "a-token");
        Path out = work.resolve("validate.out");
        Path err = work.resolve("validate.err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("zeroscale validate did not finish within 3 minutes:\n" + Files.readString(err, UTF_8));
        }
        assertThat(process.exitValue()).as("zeroscale validate of %s (as in the daemon's pod): %s%s", source,
                Files.readString(out, UTF_8), Files.readString(err, UTF_8)).isZero();
        assertThat(Files.readString(out, UTF_8)).contains("valid (1 orchestrator(s), 0 metric source(s), "
                + config.targets().size() + " target(s))");
        return config;
    }

    /** {@code data."zeroscale.yaml"} of the one ConfigMap among {@code documents}. */
    private static String configMapConfig(List<JsonNode> documents) {
        List<JsonNode> maps = documents.stream().filter(d -> "ConfigMap".equals(d.path("kind").asText())).toList();
        assertThat(maps).as("one ConfigMap").hasSize(1);
        JsonNode config = maps.getFirst().path("data").path("zeroscale.yaml");
        assertThat(config.isTextual()).as("the ConfigMap's data.zeroscale.yaml").isTrue();
        return config.asText();
    }

    private static Path deploy() {
        return Path.of(System.getProperty("zeroscale.deploy", "../deploy"));
    }

    /** {@code helm template zeroscale deploy/helm/zeroscale --namespace zeroscale ARGS}, one node per document. */
    private List<JsonNode> helmTemplate(String... args) throws IOException, InterruptedException {
        String home = System.getenv().getOrDefault("ZS_HELM_HOME", "/opt/zeroscale-peers/helm-" + HELM_VERSION);
        Path helm = Path.of(System.getProperty("zeroscale.helm", home + "/bin/helm"));
        if (!Files.isExecutable(helm)) {
            fail("helm " + HELM_VERSION + " not found at " + helm + "; build it with: ./scripts/test (runs scripts/peers.d/helm.sh),"
                    + " or bash -c 'source scripts/peers.sh && source scripts/peers.d/kubernetes.sh && source scripts/peers.d/helm.sh"
                    + " && zs_peer_helm'");
        }
        List<String> command = new ArrayList<>(List.of(helm.toString(), "template", "zeroscale",
                deploy().resolve("helm/zeroscale").toString(), "--namespace", "zeroscale"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        for (String dir : List.of("CACHE", "CONFIG", "DATA")) {
            builder.environment().put("HELM_" + dir + "_HOME", work.resolve("helm-" + dir.toLowerCase(java.util.Locale.ROOT)).toString());
        }
        Path err = work.resolve("helm.err");
        builder.redirectError(err.toFile());
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("helm template did not finish within 60 s: " + command);
        }
        assertThat(process.exitValue()).as("helm template %s: %s", command, Files.readString(err, UTF_8)).isZero();
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(out)) {
            while (it.hasNext()) {
                JsonNode document = it.next();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    documents.add(document);
                }
            }
        }
        return documents;
    }
}
