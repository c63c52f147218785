package io.zeroscale.plugin.alerts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zeroscale.plugin.support.HttpSettings;
import io.zeroscale.plugin.support.HttpTransport;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.alert.Alert;
import io.zeroscale.spi.alert.AlertSink;
import io.zeroscale.spi.alert.AlertSinkFactory;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code webhook} sink: POSTs each alert as JSON to {@code url}. {@code format: json} (default)
 * sends the alert's fields; {@code format: slack} sends {@code {"text": ...}}, which Slack incoming
 * webhooks (and Mattermost, Rocket.Chat, Teams' Slack-compatible endpoints) accept. Thread-safe.
 */
final class WebhookSink implements AlertSink {
    static final String TYPE = "webhook";

    /** The body's shape. */
    enum Format {
        JSON,
        SLACK,
    }

    private final HttpTransport transport;
    private final Format format;

    WebhookSink(HttpTransport transport, Format format) {
        this.transport = transport;
        this.format = format;
    }

    @Override
    public void send(Alert alert) {
        Http.post(transport, "", body(alert, format), alert.kind() + " " + alert.status().name().toLowerCase(Locale.ROOT));
    }

    /** The request body for {@code alert} in {@code format}. */
    static String body(Alert alert, Format format) {
        ObjectNode body = Http.JSON.createObjectNode();
        if (format == Format.SLACK) {
            body.put("text", slackText(alert));
        } else {
            body.put("version", "1");
            body.put("key", alert.key());
            body.put("status", alert.status().name().toLowerCase(Locale.ROOT));
            body.put("target", alert.target());
            body.put("kind", alert.kind());
            body.put("severity", alert.severity().name().toLowerCase(Locale.ROOT));
            body.put("summary", alert.summary());
            ObjectNode workload = body.putObject("workload");
            workload.put("orchestrator", alert.ref().orchestrator());
            workload.put("kind", alert.ref().kind());
            if (alert.ref().namespace() != null) {
                workload.put("namespace", alert.ref().namespace());
            }
            workload.put("name", alert.ref().name());
            ObjectNode labels = body.putObject("labels");
            alert.labels().forEach(labels::put);
            Http.putTimes(body, alert);
        }
        return Http.write(body);
    }

    /** One line: "[FIRING] CRITICAL wake-failed of shop: wake of shop failed ...". */
    static String slackText(Alert alert) {
        StringBuilder text = new StringBuilder()
                .append(alert.status() == Alert.Status.FIRING ? ":rotating_light: [FIRING] " : ":white_check_mark: [RESOLVED] ")
                .append(alert.severity()).append(' ').append(alert.kind()).append(" of ").append(alert.target());
        alert.labels().forEach((name, value) -> text.append(' ').append(name).append('=').append(value));
        return text.append(": ").append(alert.summary()).toString();
    }

    @Override
    public void close() {
        transport.close();
    }

    /** Makes {@code webhook} sinks. */
    static final class Factory implements AlertSinkFactory {
        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public AlertSink create(String name, Config config, PluginContext context) {
            Set<String> keys = new HashSet<>(HttpSettings.KEYS);
            keys.add("format");
            config.requireOnlyKeys(keys);
            String format = config.string("format", "json").trim();
            Format parsed = switch (format) {
                case "json" -> Format.JSON;
                case "slack" -> Format.SLACK;
                default -> throw config.invalid("format", "unknown format '" + format + "'; use json or slack");
            };
            HttpSettings http = HttpSettings.read(config, Set.of("content-type"), "https://hooks.example.com/zeroscale");
            return new WebhookSink(new HttpTransport(TYPE, name, http, Http.ERRORS), parsed);
        }
    }
}
