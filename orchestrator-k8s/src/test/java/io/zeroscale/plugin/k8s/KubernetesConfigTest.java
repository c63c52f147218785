package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubernetesConfigTest {
    @TempDir
    Path dir;

    private static Config config(Map<String, Object> values) {
        return Config.of("orchestrators.k8s", values);
    }

    @Test
    void defaultsUseFabric8sSearchAndATenSecondTimeout() {
        KubernetesConfig parsed = KubernetesConfig.parse(config(Map.of("type", "kubernetes")));

        assertThat(parsed.kubeconfig()).isNull();
        assertThat(parsed.context()).isNull();
        assertThat(parsed.inCluster()).isFalse();
        assertThat(parsed.namespace()).isNull();
        assertThat(parsed.timeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void readsEveryKey() throws Exception {
        Path file = Files.writeString(dir.resolve("config"), "apiVersion: v1\nkind: Config\n");
        KubernetesConfig parsed = KubernetesConfig.parse(config(Map.of("type", "kubernetes", "kubeconfig", file.toString(),
                "context", "staging", "namespace", "ml", "timeout", "3s")));

        assertThat(parsed.kubeconfig()).isEqualTo(file);
        assertThat(parsed.context()).isEqualTo("staging");
        assertThat(parsed.namespace()).isEqualTo("ml");
        assertThat(parsed.timeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void anUnknownKeyIsNamedWithTheClosestOne() {
        assertThatThrownBy(() -> KubernetesConfig.parse(config(Map.of("type", "kubernetes", "kubeconfg", "/x"))))
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID))
                .hasMessageContaining("kubeconfg")
                .hasMessageContaining("kubeconfig");
    }

    @Test
    void aMissingKubeconfigFileIsNamed() {
        assertThatThrownBy(() -> KubernetesConfig.parse(config(Map.of("kubeconfig", dir.resolve("nope").toString()))))
                .hasMessageContaining("orchestrators.k8s.kubeconfig")
                .hasMessageContaining("is not a readable file");
    }

    @Test
    void inClusterAndAKubeconfigTogetherAreRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("config"), "apiVersion: v1\n");
        assertThatThrownBy(() -> KubernetesConfig.parse(config(Map.of("kubeconfig", file.toString(), "in-cluster", true))))
                .hasMessageContaining("orchestrators.k8s.in-cluster")
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> KubernetesConfig.parse(config(Map.of("context", "x", "in-cluster", true))))
                .hasMessageContaining("orchestrators.k8s.context");
    }

    @Test
    void badNamespaceAndTimeoutAreRefused() {
        assertThatThrownBy(() -> KubernetesConfig.parse(config(Map.of("namespace", "Not_A_Name"))))
                .hasMessageContaining("orchestrators.k8s.namespace");
        assertThatThrownBy(() -> KubernetesConfig.parse(config(Map.of("timeout", "10ms"))))
                .hasMessageContaining("orchestrators.k8s.timeout")
                .hasMessageContaining("at least 100ms");
    }
}
