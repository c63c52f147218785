package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.TestPluginContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KubernetesOrchestrator#scale}'s answer to 409 Conflict, on fabric8's mock server in
 * expectations mode: a real API server cannot be made to answer 409 on cue (the acceptance of the
 * conditional write against a real one is KubernetesHandoverIT's). The write carries the resource
 * version it read; on 409 it reads again and writes on the new one; the fifth attempt carries none.
 */
class ScaleConflictTest {
    private static final String SCALE = "/apis/apps/v1/namespaces/ns/deployments/web/scale";
    private static final TargetRef WEB = new TargetRef("k8s", "Deployment", "ns", "web");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesMockServer server = new KubernetesMockServer(false);
    private final TestPluginContext context = TestPluginContext.builder().build();
    private KubernetesOrchestrator orchestrator;

    @BeforeEach
    void start() {
        server.init();
        // What attach() and scale() read besides /scale: no HPA, the Deployment itself not needed.
        server.expect().get().withPath("/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers")
                .andReturn(200, Map.of("apiVersion", "autoscaling/v2", "kind", "HorizontalPodAutoscalerList",
                        "metadata", Map.of(), "items", List.of())).always();
        orchestrator = new KubernetesOrchestrator("k8s", server.createClient(), "ns", PodOrder.load(null), context);
        orchestrator.attach(new Workload(WEB, Config.of("targets.web.workload", Map.of())));
    }

    @AfterEach
    void stop() {
        orchestrator.close();
        context.close();
        server.destroy();
    }

    @Test
    void oneConflictIsReadAgainAndWrittenOnTheNewResourceVersion() throws Exception {
        read("11", 0);
        read("12", 0);
        server.expect().put().withPath(SCALE).andReturn(409, conflict()).once();
        server.expect().put().withPath(SCALE).andReturn(200, scale("13", 1)).once();

        orchestrator.scale(WEB, 1);

        List<JsonNode> writes = writes();
        assertThat(writes).hasSize(2);
        assertThat(writes).extracting(w -> w.path("spec").path("replicas").asInt()).containsExactly(1, 1);
        assertThat(writes).extracting(ScaleConflictTest::resourceVersion).containsExactly("11", "12");
    }

    @Test
    void theFifthAttemptAfterFourConflictsCarriesNoResourceVersion() throws Exception {
        for (int i = 1; i <= 5; i++) {
            read(Integer.toString(20 + i), 0);
        }
        server.expect().put().withPath(SCALE).andReturn(409, conflict()).times(4);
        server.expect().put().withPath(SCALE).andReturn(200, scale("30", 2)).once();

        orchestrator.scale(WEB, 2);

        List<JsonNode> writes = writes();
        assertThat(writes).hasSize(5);
        assertThat(writes).extracting(ScaleConflictTest::resourceVersion)
                .as("each conditional write on the version read before it; the last one unconditional")
                .containsExactly("21", "22", "23", "24", null);
    }

    @Test
    void aConflictOnTheUnconditionalAttemptIsNotRetriedFurther() throws Exception {
        for (int i = 1; i <= 5; i++) {
            read(Integer.toString(40 + i), 0);
        }
        server.expect().put().withPath(SCALE).andReturn(409, conflict()).always();

        assertThatThrownBy(() -> orchestrator.scale(WEB, 1)).isInstanceOf(ZeroscaleException.class)
                .extracting(e -> ((ZeroscaleException) e).errorCode()).isEqualTo(KubernetesErrorCode.API_REJECTED);
        assertThat(writes()).hasSize(5);
    }

    @Test
    void anotherErrorIsNotReadAgainNorRetried() throws Exception {
        read("51", 0);
        read("52", 0);
        server.expect().put().withPath(SCALE).andReturn(422, Map.of("apiVersion", "v1", "kind", "Status",
                "status", "Failure", "reason", "Invalid", "code", 422, "message", "spec.replicas: Invalid value")).once();
        server.expect().put().withPath(SCALE).andReturn(200, scale("53", 1)).once();

        assertThatThrownBy(() -> orchestrator.scale(WEB, 1)).isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("spec.replicas: Invalid value")
                .extracting(e -> ((ZeroscaleException) e).errorCode()).isEqualTo(KubernetesErrorCode.API_REJECTED);
        assertThat(writes()).extracting(ScaleConflictTest::resourceVersion).containsExactly("51");
    }

    private void read(String resourceVersion, int replicas) {
        server.expect().get().withPath(SCALE).andReturn(200, scale(resourceVersion, replicas)).once();
    }

    private static Map<String, Object> scale(String resourceVersion, int replicas) {
        return Map.of("apiVersion", "autoscaling/v1", "kind", "Scale",
                "metadata", Map.of("name", "web", "namespace", "ns", "resourceVersion", resourceVersion),
                "spec", Map.of("replicas", replicas), "status", Map.of("replicas", replicas));
    }

    private static Map<String, Object> conflict() {
        return Map.of("apiVersion", "v1", "kind", "Status", "status", "Failure", "reason", "Conflict", "code", 409,
                "message", "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified");
    }

    /** The bodies of the writes of /scale, in order. */
    private List<JsonNode> writes() throws Exception {
        List<JsonNode> writes = new ArrayList<>();
        for (RecordedRequest request; (request = server.takeRequest(0, TimeUnit.MILLISECONDS)) != null; ) {
            if (SCALE.equals(request.getPath()) && !"GET".equals(request.getMethod())) {
                writes.add(JSON.readTree(request.getUtf8Body()));
            }
        }
        return writes;
    }

    private static String resourceVersion(JsonNode write) {
        JsonNode version = write.path("metadata").path("resourceVersion");
        return version.isMissingNode() || version.isNull() ? null : version.asText();
    }
}
