package io.zeroscale.plugin.k8s;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.testkit.FreePorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The follower's resends over the replica channel (Resilience4j's Retry with {@link
 * KubernetesTrafficHub#BACKOFF}), against a stand-in leader on loopback that refuses calls as the
 * test says. No API server: the Lease's holder is set by the test, and the Lease informer of the
 * hub, pointed at a port nothing listens on, only fails in the background.
 */
class KubernetesTrafficHubRetryTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final TargetRef WEB = new TargetRef("k8s", "Deployment", "shop", "web");

    @TempDir
    Path data;
    private HttpServer leader;
    private KubernetesTrafficHub hub;
    /** Every call the stand-in leader got, in order, as "call held=N" and the status it answered. */
    private final List<String> received = new CopyOnWriteArrayList<>();
    private volatile ToIntFunction<JsonNode> answer = call -> 204;

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
        if (leader != null) {
            leader.stop(0);
        }
    }

    @Test
    void aRefusedCallIsSentAgainWithBackoffUntilTakenAndNoLaterCallOvertakesIt() throws Exception {
        answer = call -> received.stream().filter(c -> c.endsWith(" 503")).count() < 3 ? 503 : 204;
        startHub();

        hub.report("gw", WEB, new RequestStats(1, 0, 1, 0, 0));
        hub.heartbeat("gw");

        await("both calls taken").atMost(TIMEOUT).until(() -> received.stream().filter(c -> c.endsWith(" 204")).count() == 2);
        assertThat(received).containsExactly("report held=1 503", "report held=1 503", "report held=1 503",
                "report held=1 204", "heartbeat 204");
    }

    @Test
    void aResendCarriesTheNewestReportForItsGatewayAndTarget() throws Exception {
        answer = call -> call.path("stats").path("held").asInt() == 3 ? 204 : 503;
        startHub();

        hub.report("gw", WEB, new RequestStats(1, 0, 1, 0, 0));
        await("the first report refused").atMost(TIMEOUT).until(() -> received.contains("report held=1 503"));
        hub.report("gw", WEB, new RequestStats(3, 0, 3, 0, 0));

        await("the newest report taken").atMost(TIMEOUT).until(() -> received.contains("report held=3 204"));
        assertThat(received).allMatch(call -> call.equals("report held=1 503") || call.equals("report held=3 204"));
        assertThat(received).containsOnlyOnce("report held=3 204");
    }

    @Test
    void aCallRefusedForGoodIsDroppedAndTheNextOneSent() throws Exception {
        answer = call -> call.path("call").asText().equals("report") ? 400 : 204;
        startHub();

        hub.report("gw", WEB, new RequestStats(1, 0, 1, 0, 0));
        hub.heartbeat("gw");

        await("the heartbeat taken").atMost(TIMEOUT).until(() -> received.contains("heartbeat 204"));
        assertThat(received).containsExactly("report held=1 400", "heartbeat 204");
    }

    @Test
    void theBackoffStartsShortDoublesAndIsCapped() {
        assertThat(KubernetesTrafficHub.BACKOFF.apply(1)).isBetween(50L, 150L);
        assertThat(KubernetesTrafficHub.BACKOFF.apply(4)).isBetween(400L, 1200L);
        assertThat(KubernetesTrafficHub.BACKOFF.apply(10)).isEqualTo(KubernetesTrafficHub.MAX_RETRY.toMillis());
        assertThat(KubernetesTrafficHub.BACKOFF.apply(10_000)).isEqualTo(KubernetesTrafficHub.MAX_RETRY.toMillis());
        assertThat(KubernetesTrafficHub.retryable(503)).isTrue();
        assertThat(KubernetesTrafficHub.retryable(421)).as("the Lease moving").isTrue();
        assertThat(KubernetesTrafficHub.retryable(400)).isFalse();
    }

    /** The stand-in leader, and a follower hub whose Lease names it. */
    private void startHub() throws IOException {
        leader = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        leader.createContext(HubWire.CALLS, this::call);
        leader.createContext(HubWire.ROUTES, exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        leader.start();
        Path token = Files.writeString(data.resolve("token"), "a-token");
        KubernetesConfig client = new KubernetesConfig(null, null, false, "shop", Duration.ofSeconds(2));
        int port = FreePorts.next();
        HubSettings settings = new HubSettings(client, "shop", "zeroscale", "follower@127.0.0.1:" + port,
                new Endpoint("127.0.0.1", port), token, List.of());
        KubernetesClient nowhere = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("https://127.0.0.1:" + FreePorts.next()).withRequestTimeout(500).build()).build();
        hub = new KubernetesTrafficHub(settings, new RecordingHub(), nowhere,
                new TokenReviews(nowhere, InstantSource.system()), InstantSource.system());
        hub.start();
        hub.holderChanged("leader@127.0.0.1:" + leader.getAddress().getPort());
    }

    private void call(HttpExchange exchange) throws IOException {
        try (exchange) {
            JsonNode call = HubWire.JSON.readTree(exchange.getRequestBody().readAllBytes());
            int status = answer.applyAsInt(call);
            String name = call.path("call").asText();
            received.add(name + (name.equals("report") ? " held=" + call.path("stats").path("held").asInt() : "") + " " + status);
            byte[] body = (status == 204 ? "" : "refused").getBytes(UTF_8);
            exchange.sendResponseHeaders(status, status == 204 ? -1 : body.length);
            if (status != 204) {
                exchange.getResponseBody().write(body);
            }
        }
    }
}
