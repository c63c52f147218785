package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zeroscale.testkit.KubernetesPeer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the Kubernetes benchmarks ({@code benchmarks/run k8s-wake}, {@code k8s-mass-wake}) share:
 * the daemon's own identity on the control plane, and the API server's audit log of what that
 * identity did.
 *
 * <p>The daemon runs as the shipped ServiceAccount {@code zeroscale/zeroscale} under the shipped
 * least-privilege ClusterRole ({@code deploy/kubernetes/namespace.yaml} and {@code rbac.yaml},
 * applied as they are), with a TokenRequest token in a kubeconfig of its own. The API server logs
 * (audit level Metadata, stage ResponseComplete, blocking) every request of that user and of no
 * one else, so the log holds exactly the daemon's calls: the pod fixture, the controllers and the
 * benchmark itself use the peer's admin certificate and are not in it.
 */
final class KubernetesBench {
    /** The shipped ServiceAccount, as the API server names its user. */
    static final String DAEMON_USER = "system:serviceaccount:zeroscale:zeroscale";
    static final List<String> WRITE_VERBS = List.of("create", "update", "patch", "delete", "deletecollection");
    private static final ObjectMapper JSON = new ObjectMapper();

    private KubernetesBench() {}

    /** kube-apiserver flags that audit the daemon's user into {@code work/audit.log}. */
    static String[] auditFlags(Path work) throws IOException {
        Path policy = Files.writeString(work.resolve("audit-policy.yaml"), """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                omitStages: [RequestReceived]
                rules:
                - level: Metadata
                  users: ["%s"]
                - level: None
                """.formatted(DAEMON_USER), UTF_8);
        return new String[] {"--audit-policy-file=" + policy, "--audit-log-path=" + auditLog(work), "--audit-log-format=json",
            "--audit-log-mode=blocking", "--audit-log-maxsize=0"};
    }

    static Path auditLog(Path work) {
        return work.resolve("audit.log");
    }

    /**
     * Applies the shipped namespace and RBAC (deploy/kubernetes) and writes a kubeconfig for the
     * shipped ServiceAccount's token: the daemon's identity.
     */
    static Path daemonKubeconfig(Path work, KubernetesPeer peer) throws IOException {
        KubernetesClient admin = peer.client();
        Path deploy = Path.of(System.getProperty("zeroscale.deploy", "../deploy")).resolve("kubernetes");
        for (String file : List.of("namespace.yaml", "rbac.yaml")) {
            try (InputStream in = Files.newInputStream(deploy.resolve(file))) {
                for (HasMetadata item : admin.load(in).items()) {
                    admin.resource(item).serverSideApply();
                }
            }
        }
        String token = admin.serviceAccounts().inNamespace("zeroscale").withName("zeroscale")
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(7200L).endSpec().build())
                .getStatus().getToken();
        return Files.writeString(work.resolve("daemon-kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{ name: c, cluster: { server: "%s", certificate-authority: "%s" } }]
                users: [{ name: zeroscale, user: { token: "%s" } }]
                contexts: [{ name: zeroscale, context: { cluster: c, user: zeroscale } }]
                current-context: zeroscale
                """.formatted(peer.url(), peer.caCertificate(), token), UTF_8);
    }

    /**
     * One audited request of the daemon: when the API server received it, when it sent the whole
     * response ({@code completed}, the ResponseComplete stage), and what it was.
     */
    record Call(Instant received, Instant completed, String verb, String resource, String subresource, String namespace,
            String name, int code) {
        boolean isWrite() {
            return WRITE_VERBS.contains(verb);
        }

        /** A write of the {@code /scale} subresource of a Deployment: a scale call. */
        boolean isScale() {
            return isWrite() && resource.equals("deployments") && subresource.equals("scale");
        }

        /** A read of the {@code /scale} subresource of a Deployment (the one before a scale call). */
        boolean isScaleRead() {
            return verb.equals("get") && resource.equals("deployments") && subresource.equals("scale");
        }

        /** {@code resource} or {@code resource/subresource}. */
        String kind() {
            return subresource.isEmpty() ? resource : resource + "/" + subresource;
        }
    }

    /** Every call of the daemon's user in the audit log so far, in the order logged. */
    static List<Call> calls(Path work) throws IOException {
        List<Call> calls = new ArrayList<>();
        Path log = auditLog(work);
        if (!Files.exists(log)) {
            return calls;
        }
        for (String line : Files.readAllLines(log, UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode event = JSON.readTree(line);
            if (!DAEMON_USER.equals(event.path("user").path("username").asText())) {
                continue;
            }
            JsonNode ref = event.path("objectRef");
            Instant received = Instant.parse(event.path("requestReceivedTimestamp").asText());
            String completed = event.path("stageTimestamp").asText("");
            calls.add(new Call(received, completed.isEmpty() ? received : Instant.parse(completed), event.path("verb").asText(),
                    ref.path("resource").asText(), ref.path("subresource").asText(), ref.path("namespace").asText(),
                    ref.path("name").asText(), event.path("responseStatus").path("code").asInt()));
        }
        return calls;
    }

    /** Writes by kind ({@code resource[/subresource] verb}) among {@code calls}, sorted. */
    static Map<String, Integer> writesByKind(List<Call> calls) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Call call : calls) {
            if (call.isWrite()) {
                counts.merge(call.kind() + " " + call.verb(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** The 1-minute load average now. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg"), UTF_8).trim().split("\\s+")[0]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code results} as JSON to the file the system property {@code property} names, when it is set. */
    static void writeResults(String property, Map<String, Object> results) throws IOException {
        String out = System.getProperty(property, "");
        if (!out.isEmpty()) {
            Files.writeString(Path.of(out), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results), UTF_8);
        }
    }
}
