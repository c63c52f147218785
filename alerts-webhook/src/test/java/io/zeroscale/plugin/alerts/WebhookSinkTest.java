package io.zeroscale.plugin.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.alert.Alert;
import io.zeroscale.spi.alert.AlertSink;
import io.zeroscale.spi.automaton.Action;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Both sinks against a loopback HTTP receiver: the bodies they send, and how they fail. */
class WebhookSinkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant START = Instant.parse("2026-12-06T21:00:00Z");
    private static final Alert FIRING = new Alert("shop", new TargetRef("local", "Process", null, "shop"), Alert.WAKE_FAILED,
            Action.Severity.CRITICAL, Alert.Status.FIRING, "wake of shop failed: not ready within 3s", Map.of(), START, null);

    private final List<String> received = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private HttpServer server;

    @BeforeEach
    void startReceiver() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
                    + exchange.getRequestHeaders().getFirst("Content-Type") + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = (status == 200 ? "" : "no such channel").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopReceiver() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static AlertSink create(String type, Map<String, Object> config) {
        Config node = Config.of("alerts.sinks.test", config);
        return new AlertsPlugin().alertSinkFactories().stream().filter(factory -> factory.type().equals(type)).findFirst()
                .orElseThrow().create("test", node, CONTEXT);
    }

    private JsonNode onlyBody(String expectedPrefix) throws Exception {
        assertThat(received).hasSize(1);
        String request = received.getFirst();
        assertThat(request).startsWith(expectedPrefix);
        return JSON.readTree(request.substring(expectedPrefix.length()));
    }

    @Test
    void webhookPostsTheAlertAsJson() throws Exception {
        try (AlertSink sink = create("webhook", Map.of("url", url() + "/hook"))) {
            sink.send(FIRING);
        }
        JsonNode body = onlyBody("POST /hook application/json ");
        assertThat(body.path("status").asText()).isEqualTo("firing");
        assertThat(body.path("kind").asText()).isEqualTo("wake-failed");
        assertThat(body.path("severity").asText()).isEqualTo("critical");
        assertThat(body.path("target").asText()).isEqualTo("shop");
        assertThat(body.path("key").asText()).isEqualTo("shop/wake-failed");
        assertThat(body.path("workload").path("orchestrator").asText()).isEqualTo("local");
        assertThat(body.path("startsAt").asText()).isEqualTo("2026-12-06T21:00:00Z");
        assertThat(body.has("endsAt")).isFalse();
    }

    @Test
    void webhookSendsResolutionsWithEndsAt() throws Exception {
        try (AlertSink sink = create("webhook", Map.of("url", url()))) {
            sink.send(FIRING.resolved(START.plusSeconds(9), "target shop is ready again"));
        }
        JsonNode body = onlyBody("POST / application/json ");
        assertThat(body.path("status").asText()).isEqualTo("resolved");
        assertThat(body.path("endsAt").asText()).isEqualTo("2026-12-06T21:00:09Z");
        assertThat(body.path("summary").asText()).isEqualTo("target shop is ready again");
    }

    @Test
    void slackFormatIsOneTextLine() throws Exception {
        try (AlertSink sink = create("webhook", Map.of("url", url(), "format", "slack"))) {
            sink.send(FIRING);
        }
        JsonNode body = onlyBody("POST / application/json ");
        assertThat(body.size()).isEqualTo(1);
        assertThat(body.path("text").asText())
                .isEqualTo(":rotating_light: [FIRING] CRITICAL wake-failed of shop: wake of shop failed: not ready within 3s");
    }

    @Test
    void alertmanagerGetsAPostableAlert() throws Exception {
        try (AlertSink sink = create("alertmanager", Map.of("url", url(), "labels", Map.of("team", "shop")))) {
            sink.send(FIRING.resolved(START.plusSeconds(9), "ready again"));
        }
        JsonNode body = onlyBody("POST /api/v2/alerts application/json ");
        assertThat(body.isArray()).isTrue();
        JsonNode alert = body.get(0);
        assertThat(alert.path("labels").path("alertname").asText()).isEqualTo("ZeroscaleWakeFailed");
        assertThat(alert.path("labels").path("team").asText()).isEqualTo("shop");
        assertThat(alert.path("labels").path("severity").asText()).isEqualTo("critical");
        assertThat(alert.path("annotations").path("summary").asText()).isEqualTo("ready again");
        assertThat(alert.path("startsAt").asText()).isEqualTo("2026-12-06T21:00:00Z");
        assertThat(alert.path("endsAt").asText()).isEqualTo("2026-12-06T21:00:09Z");
    }

    @Test
    void aRefusalNamesTheReceiverAndItsAnswer() {
        status = 404;
        try (AlertSink sink = create("webhook", Map.of("url", url()))) {
            assertThatThrownBy(() -> sink.send(FIRING))
                    .isInstanceOf(ZeroscaleException.class)
                    .hasMessageContaining("webhook at " + url())
                    .hasMessageContaining("HTTP 404 no such channel");
        }
    }

    @Test
    void badConfigNamesThePathAndTheFix() {
        assertThatThrownBy(() -> create("webhook", Map.of("url", url(), "format", "teams")))
                .hasMessageContaining("alerts.sinks.test.format")
                .hasMessageContaining("use json or slack");
        assertThatThrownBy(() -> create("webhook", Map.of("url", url(), "channel", "#ops")))
                .hasMessageContaining("alerts.sinks.test")
                .hasMessageContaining("channel");
        assertThatThrownBy(() -> create("alertmanager", Map.of("url", url(), "labels", Map.of("severity", "low"))))
                .hasMessageContaining("alerts.sinks.test.labels.severity")
                .hasMessageContaining("set by the sink itself");
        assertThatThrownBy(() -> create("alertmanager", Map.of()))
                .hasMessageContaining("alerts.sinks.test.url");
    }

    @Test
    void alertNamesAreCamelCase() {
        assertThat(AlertmanagerSink.alertName("signal-unknown")).isEqualTo("ZeroscaleSignalUnknown");
        assertThat(AlertmanagerSink.alertName("automaton")).isEqualTo("ZeroscaleAutomaton");
    }

    private static final PluginContext CONTEXT = new PluginContext() {
        @Override
        public Scheduler scheduler() {
            throw new UnsupportedOperationException("sinks need no scheduler");
        }

        @Override
        public Executor blockingExecutor() {
            return Runnable::run;
        }

        @Override
        public Path dataDirectory() {
            return Path.of("target");
        }
    };
}
