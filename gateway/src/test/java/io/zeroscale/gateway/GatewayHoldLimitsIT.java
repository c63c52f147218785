package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a client gets when waiting cannot help: a full queue, a wake that takes too long or fails. */
class GatewayHoldLimitsIT extends GatewayTestSupport {

    @Test
    void aFullHoldQueueAnswers503WithRetryAfterAndSaysWhy() throws Exception {
        // No starter: the target never wakes, so the queue stays full.
        Gateway gateway = start(GatewayConfig.builder().maxHeld(3).retryAfter(Duration.ofSeconds(7)).build(),
                GatewayRoute.path(APP, "/"));
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(getAsync(gateway, "/"));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 3);

        HttpResponse<String> overflow = get(gateway, "/");

        assertThat(overflow.statusCode()).isEqualTo(503);
        assertThat(overflow.headers().firstValue("Retry-After")).hasValue("7");
        assertThat(overflow.body())
                .isEqualTo("target test/Process/app is starting and already holds 3 requests (max-held);"
                        + " retry in 7s\n");
        assertThat(held).noneMatch(CompletableFuture::isDone);
        assertThat(gateway.stats(APP).held()).isEqualTo(3);
    }

    @Test
    void aRequestHeldLongerThanTheWakeTimeoutGets504WithABody() throws Exception {
        Gateway gateway = start(GatewayConfig.builder().wakeTimeout(Duration.ofMillis(300)).build(),
                GatewayRoute.path(APP, "/"));

        HttpResponse<String> response = get(gateway, "/");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body())
                .isEqualTo("target test/Process/app did not become ready within 300ms (wake-timeout); try again later\n");
        assertThat(hub.reports(APP)).anyMatch(stats -> stats.held() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> hub.latest(APP).held() == 0);
    }

    @Test
    void theEngineFailingAWakeAnswersHeldRequestsWithItsStatusAndReason() throws Exception {
        Gateway gateway = startDefault();
        CompletableFuture<HttpResponse<String>> response = getAsync(gateway, "/");
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.latest(APP).held() == 1);

        hub.failHeld(APP, 504, "target test/Process/app did not become ready within 2m: the orchestrator reported"
                + " the start failed");

        HttpResponse<String> answer = response.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(504);
        assertThat(answer.body()).isEqualTo("target test/Process/app did not become ready within 2m: the orchestrator"
                + " reported the start failed\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> hub.latest(APP).held() == 0);
    }

    @Test
    void theEngineFailingHeldRequestsWith503AddsRetryAfter() throws Exception {
        Gateway gateway = startDefault();
        CompletableFuture<HttpResponse<String>> response = getAsync(gateway, "/");
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.latest(APP).held() == 1);

        hub.failHeld(APP, 503, "target test/Process/app is at its replica limit");

        HttpResponse<String> answer = response.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(answer.body()).isEqualTo("target test/Process/app is at its replica limit\n");
    }

    @Test
    void anEndpointThatDoesNotAnswerWithinTheResponseTimeoutGets504() throws Exception {
        TestBackend backend = backend("stuck");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(GatewayConfig.builder().responseTimeout(Duration.ofMillis(300)).build(),
                GatewayRoute.path(APP, "/"));

        HttpResponse<String> response = get(gateway, "/slow");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).isEqualTo("endpoint " + backend.endpoint()
                + " of target test/Process/app did not answer within 300ms (response-timeout)\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.stats(APP).inFlight() == 0);
    }

    @Test
    void closingTheGatewayAnswersHeldRequestsWith503() throws Exception {
        Gateway gateway = startDefault();
        CompletableFuture<HttpResponse<String>> response = getAsync(gateway, "/");
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.latest(APP).held() == 1);

        gateway.close();

        HttpResponse<String> answer = response.get(10, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.body()).isEqualTo("zeroscale is shutting down; retry in 1s\n");
    }
}
