package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Wake from zero: requests held while nothing is ready are all answered once the target is up. */
class GatewayWakeIT extends GatewayTestSupport {

    @Test
    void twoHundredConcurrentRequestsHeldAtZeroAreAllAnsweredAfterTheWake() throws Exception {
        CountDownLatch backendMayStart = new CountDownLatch(1);
        List<TestBackend> started = new ArrayList<>();
        hub.onWake(APP, () -> {
            // The engine reacts to the report event; the backend takes a while to start.
            if (!backendMayStart.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never allowed to start");
            }
            TestBackend backend = backend("woken");
            started.add(backend);
            return backend.endpoint();
        });
        Gateway gateway = startDefault();

        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            responses.add(getAsync(gateway, "/item/" + i));
        }
        // All 200 are held at once and the engine heard of them by report, before anything was ready.
        await().atMost(Duration.ofSeconds(30)).until(() -> hub.latest(APP).held() == 200);
        assertThat(gateway.stats(APP).held()).isEqualTo(200);
        assertThat(responses).noneMatch(CompletableFuture::isDone);
        assertThat(hub.reports(APP).get(0).held()).as("the first report already wakes").isPositive();

        backendMayStart.countDown();

        for (CompletableFuture<HttpResponse<String>> response : responses) {
            HttpResponse<String> answer = response.get(60, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("hello from woken");
        }
        assertThat(started).hasSize(1);
        assertThat(started.get(0).requests()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(hub.latest(APP).held()).isZero();
            assertThat(hub.latest(APP).inFlight()).isZero();
            assertThat(hub.latest(APP).arrivals()).isEqualTo(200);
            assertThat(hub.latest(APP).completed()).isEqualTo(200);
        });
        assertThat(hub.latest(APP).latencySecondsSum()).isPositive();
    }

    @Test
    void aHeldPostKeepsItsBodyUntilItIsForwarded() throws Exception {
        hub.onWake(APP, () -> backend("woken").endpoint());
        Gateway gateway = startDefault();
        byte[] body = new byte[200_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }

        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(uri(gateway, "/echo"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(body);
    }

    @Test
    void aBrowserHeldLongerThanRetryAfterGetsAWaitingPageThatReloads() throws Exception {
        Gateway gateway = start(GatewayConfig.builder().waitingPage(true).build(), GatewayRoute.path(APP, "/"));

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(gateway, "/"))
                        .header("Accept", "text/html,application/xhtml+xml")
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/html"));
        assertThat(response.body()).contains("<meta http-equiv=\"refresh\" content=\"1\">").contains("Starting app");
        // It was held first, so the engine was told to wake the target.
        assertThat(hub.reports(APP)).anyMatch(stats -> stats.held() == 1);
    }
}
