package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.zeroscale.spi.ZeroscaleException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesOrchestratorFactoryTest {
    @TempDir
    Path dir;

    @Test
    void inClusterReadsTheServiceAccountAndSwitchesFabric8RetriesOff() throws Exception {
        Path account = Files.createDirectories(dir.resolve("serviceaccount"));
        Files.writeString(account.resolve("token"), "token-1\n");
        Files.writeString(account.resolve("namespace"), "ml\n");
        Files.writeString(account.resolve("ca.crt"), "not read until a request is made\n");
        KubernetesConfig parsed = new KubernetesConfig(null, null, true, null, Duration.ofSeconds(4));

        Config config = KubernetesOrchestratorFactory.clientConfig(parsed,
                Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "6443"), account);

        assertThat(config.getMasterUrl()).startsWith("https://10.96.0.1:6443");
        assertThat(config.getCaCertFile()).isEqualTo(account.resolve("ca.crt").toString());
        assertThat(config.getNamespace()).isEqualTo("ml");
        assertThat(config.getOauthTokenProvider().getToken()).isEqualTo("token-1");
        Files.writeString(account.resolve("token"), "token-2\n");
        assertThat(config.getOauthTokenProvider().getToken()).as("a rotated token is read again").isEqualTo("token-2");
        assertThat(config.getRequestRetryBackoffLimit()).as("the engine retries, fabric8 does not").isZero();
        assertThat(config.getRequestTimeout()).isEqualTo(4000);
    }

    @Test
    void inClusterOutsideAPodIsRefusedWithTheFix() {
        KubernetesConfig parsed = new KubernetesConfig(null, null, true, null, Duration.ofSeconds(4));
        assertThatThrownBy(() -> KubernetesOrchestratorFactory.clientConfig(parsed, Map.of(), dir.resolve("none")))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("KUBERNETES_SERVICE_HOST unset")
                .hasMessageContaining("set kubeconfig: instead");
    }

    @Test
    void aKubeconfigFileAndItsContextAreUsed() throws Exception {
        Path file = Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters:
                - name: a
                  cluster: {server: "https://127.0.0.1:7001"}
                - name: b
                  cluster: {server: "https://127.0.0.1:7002"}
                users:
                - name: u
                  user: {token: secret}
                contexts:
                - name: first
                  context: {cluster: a, user: u, namespace: one}
                - name: second
                  context: {cluster: b, user: u, namespace: two}
                current-context: first
                """);
        Config current = KubernetesOrchestratorFactory.clientConfig(new KubernetesConfig(file, null, false, null, Duration.ofSeconds(10)),
                Map.of(), dir);
        Config second = KubernetesOrchestratorFactory.clientConfig(new KubernetesConfig(file, "second", false, null, Duration.ofSeconds(10)),
                Map.of(), dir);

        assertThat(current.getMasterUrl()).startsWith("https://127.0.0.1:7001");
        assertThat(current.getNamespace()).isEqualTo("one");
        assertThat(second.getMasterUrl()).startsWith("https://127.0.0.1:7002");
        assertThat(second.getNamespace()).isEqualTo("two");
        assertThat(second.getRequestRetryBackoffLimit()).isZero();
    }

    @Test
    void thePluginIsFoundByServiceLoaderWithTheKubernetesType() {
        assertThat(ServiceLoader.load(io.zeroscale.spi.Plugin.class).stream().map(ServiceLoader.Provider::get)
                .flatMap(p -> p.orchestratorFactories().stream()).map(f -> f.type()))
                .contains("kubernetes");
    }
}
