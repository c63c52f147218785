package io.zeroscale.plugin.alerts;

import com.fasterxml.jackson.databind.node.ArrayNode;
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
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code alertmanager} sink: POSTs each alert to Alertmanager's API v2
 * ({@code /api/v2/alerts}). A firing alert has {@code startsAt} and no {@code endsAt}; its
 * resolution is the same labels with {@code endsAt} set, which Alertmanager matches by label set.
 * Labels: {@code alertname} (e.g. {@code ZeroscaleWakeFailed}), {@code target}, {@code kind},
 * {@code severity}, the alert's own labels and the configured static {@code labels}; annotations:
 * {@code summary}. Thread-safe.
 */
final class AlertmanagerSink implements AlertSink {
    static final String TYPE = "alertmanager";
    static final String PATH = "/api/v2/alerts";
    /** Prometheus label names; Alertmanager refuses others. */
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> RESERVED = Set.of("alertname", "target", "kind", "severity");

    private final HttpTransport transport;
    private final Map<String, String> staticLabels;
    private final @org.jspecify.annotations.Nullable String generatorUrl;

    AlertmanagerSink(HttpTransport transport, Map<String, String> staticLabels, @org.jspecify.annotations.Nullable String generatorUrl) {
        this.transport = transport;
        this.staticLabels = Map.copyOf(staticLabels);
        this.generatorUrl = generatorUrl;
    }

    @Override
    public void send(Alert alert) {
        Http.post(transport, PATH, body(alert, staticLabels, generatorUrl),
                alertName(alert.kind()) + " " + alert.status().name().toLowerCase(Locale.ROOT));
    }

    /** The postableAlerts body: an array of one alert. */
    static String body(Alert alert, Map<String, String> staticLabels, @org.jspecify.annotations.Nullable String generatorUrl) {
        ArrayNode alerts = Http.JSON.createArrayNode();
        ObjectNode node = alerts.addObject();
        ObjectNode labels = node.putObject("labels");
        staticLabels.forEach(labels::put);
        alert.labels().forEach(labels::put);
        labels.put("alertname", alertName(alert.kind()));
        labels.put("target", alert.target());
        labels.put("kind", alert.kind());
        labels.put("severity", alert.severity().name().toLowerCase(Locale.ROOT));
        node.putObject("annotations").put("summary", alert.summary());
        Http.putTimes(node, alert);
        if (generatorUrl != null) {
            node.put("generatorURL", generatorUrl);
        }
        return Http.write(alerts);
    }

    /** {@code wake-failed} becomes {@code ZeroscaleWakeFailed}, the usual alert name style. */
    static String alertName(String kind) {
        StringBuilder name = new StringBuilder("Zeroscale");
        for (String part : kind.split("[^A-Za-z0-9]+")) {
            if (!part.isEmpty()) {
                name.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return name.toString();
    }

    @Override
    public void close() {
        transport.close();
    }

    /** Makes {@code alertmanager} sinks. */
    static final class Factory implements AlertSinkFactory {
        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public AlertSink create(String name, Config config, PluginContext context) {
            Set<String> keys = new HashSet<>(HttpSettings.KEYS);
            keys.add("labels");
            keys.add("generator-url");
            config.requireOnlyKeys(keys);
            Map<String, String> labels = config.stringMap("labels");
            Config labelsNode = config.child("labels");
            for (String label : labels.keySet()) {
                if (!LABEL_NAME.matcher(label).matches()) {
                    throw labelsNode.invalid(label, "is not a valid label name; use letters, digits and _, not starting with a digit");
                }
                if (RESERVED.contains(label)) {
                    throw labelsNode.invalid(label, "is set by the sink itself; remove it (reserved: " + new java.util.TreeSet<>(RESERVED) + ")");
                }
            }
            String generatorUrl = config.string("generator-url").orElse(null);
            HttpSettings http = HttpSettings.read(config, Set.of("content-type"), "http://127.0.0.1:9093");
            return new AlertmanagerSink(new HttpTransport(TYPE, name, http, Http.ERRORS), labels, generatorUrl);
        }
    }
}
