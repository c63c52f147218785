package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How requests spread over a target's ready endpoints. */
class GatewayBalancingIT extends GatewayTestSupport {

    @Test
    void roundRobinTakesEachEndpointInTurn() throws Exception {
        TestBackend a = backend("a");
        TestBackend b = backend("b");
        hub.forward(APP, a.endpoint(), b.endpoint());
        Gateway gateway = start(GatewayConfig.builder().loadBalancing(LoadBalancing.ROUND_ROBIN).build(),
                GatewayRoute.path(APP, "/"));

        for (int i = 0; i < 10; i++) {
            assertThat(get(gateway, "/").statusCode()).isEqualTo(200);
        }

        assertThat(a.requests()).isEqualTo(5);
        assertThat(b.requests()).isEqualTo(5);
    }

    @Test
    void leastInFlightSendsNewRequestsAwayFromABusyEndpoint() throws Exception {
        TestBackend busy = backend("busy");
        TestBackend idle = backend("idle");
        hub.forward(APP, busy.endpoint());
        Gateway gateway = startDefault();
        CompletableFuture<HttpResponse<String>> stuck = getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> busy.slowStarted() == 1);
        hub.forward(APP, busy.endpoint(), idle.endpoint());

        // With two endpoints both are the "two random choices", so the idle one always wins.
        for (int i = 0; i < 10; i++) {
            assertThat(get(gateway, "/").body()).isEqualTo("hello from idle");
        }

        busy.releaseSlow();
        assertThat(stuck.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(busy.requests()).isEqualTo(1);
    }
}
