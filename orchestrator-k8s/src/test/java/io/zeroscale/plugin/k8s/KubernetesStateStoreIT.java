package io.zeroscale.plugin.k8s;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.state.StateStore;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ConfigMap state store on the real API server: what one daemon writes, another (the next
 * leader, on another machine) reads; documents are replaced whole, listed by prefix, set aside
 * without being lost, deleted; two stores in one namespace keep apart; an API server that cannot
 * be reached is {@code STATE_STORE_UNAVAILABLE}, never an empty store.
 */
class KubernetesStateStoreIT {
    @TempDir
    Path data;

    private StateStore store(TestPluginContext context, String namespace, String name, String kubeconfig) {
        return new ConfigMapStateStoreFactory().create(Config.of("state-store", Map.of("kubeconfig", kubeconfig, "namespace", namespace,
                "name", name, "timeout", "2s")), context);
    }

    @Test
    void whatOneDaemonKeepsTheNextReads() throws Exception {
        String namespace = ControlPlane.namespace("state");
        String kubeconfig = ControlPlane.peer().kubeconfig().toString();
        try (TestPluginContext context = TestPluginContext.realTime(data.resolve("ctx"));
                StateStore leader = store(context, namespace, "zeroscale", kubeconfig);
                StateStore next = store(context, namespace, "zeroscale", kubeconfig);
                StateStore stranger = store(context, namespace, "other", kubeconfig)) {
            leader.write("targets/Web_1.json", "{\"override\":3}".getBytes(UTF_8));
            leader.write("targets/Web_1.json", "{\"override\":3,\"paused\":true}".getBytes(UTF_8));
            leader.write("journal.json", "[]".getBytes(UTF_8));
            stranger.write("targets/Web_1.json", "{}".getBytes(UTF_8));

            assertThat(next.read("targets/Web_1.json")).map(bytes -> new String(bytes, UTF_8))
                    .contains("{\"override\":3,\"paused\":true}");
            assertThat(next.keys("targets/")).containsExactly("targets/Web_1.json");
            assertThat(next.keys("")).containsExactlyInAnyOrder("targets/Web_1.json", "journal.json");
            assertThat(next.read("targets/none.json")).isEmpty();
            assertThat(ConfigMapStateStore.name("zeroscale", "targets/Web_1.json"))
                    .isNotEqualTo(ConfigMapStateStore.name("zeroscale", "targets/web_1.json"))
                    .isNotEqualTo(ConfigMapStateStore.name("other", "targets/Web_1.json"))
                    .startsWith("zeroscale-state-targets-web-1-json-");

            String aside = next.setAside("journal.json", "not JSON");
            assertThat(next.read("journal.json")).isEmpty();
            assertThat(next.keys("")).containsExactly("targets/Web_1.json");
            ConfigMap kept = ControlPlane.client().configMaps().inNamespace(namespace).withName(aside.substring(aside.indexOf('/') + 1))
                    .get();
            assertThat(kept).as(aside).isNotNull();
            assertThat(kept.getMetadata().getAnnotations()).containsEntry(ConfigMapStateStore.ASIDE_ANNOTATION, "not JSON");

            next.delete("targets/Web_1.json");
            next.delete("targets/Web_1.json");
            assertThat(leader.read("targets/Web_1.json")).isEmpty();
            assertThat(stranger.keys("")).containsExactly("targets/Web_1.json");
        }
    }

    @Test
    void anUnreachableApiServerIsUnavailableNotEmpty() throws Exception {
        Path kubeconfig = Files.writeString(data.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]
                users: [{ name: u, user: { token: "t" } }]
                contexts: [{ name: c, context: { cluster: c, user: u } }]
                current-context: c
                """);
        try (TestPluginContext context = TestPluginContext.realTime(data.resolve("ctx2"));
                StateStore store = store(context, "default", "zeroscale", kubeconfig.toString())) {
            assertThatThrownBy(() -> store.read("journal.json")).isInstanceOfSatisfying(ZeroscaleException.class,
                    e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.STATE_STORE_UNAVAILABLE))
                    .hasMessageContaining("configmap default/zeroscale-state-journal-json-");
            assertThatThrownBy(() -> store.keys("targets/")).isInstanceOf(ZeroscaleException.class);
        }
    }
}
