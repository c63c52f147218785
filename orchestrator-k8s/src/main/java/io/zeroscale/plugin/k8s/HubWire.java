package io.zeroscale.plugin.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The replica channel's messages as JSON (Jackson trees): a follower's calls to the leader's hub
 * ({@code POST /zeroscale-hub/v1/calls}, one object with a {@code call} field) and the leader's
 * routes back ({@code GET /zeroscale-hub/v1/routes}, one object per line). Unknown fields are
 * ignored, so either side may be newer.
 */
final class HubWire {
    static final String CALLS = "/zeroscale-hub/v1/calls";
    static final String ROUTES = "/zeroscale-hub/v1/routes";
    static final ObjectMapper JSON = new ObjectMapper();

    private HubWire() {}

    static ObjectNode call(String call, String gateway) {
        return JSON.createObjectNode().put("call", call).put("gateway", gateway);
    }

    static ObjectNode target(TargetRef target) {
        ObjectNode node = JSON.createObjectNode().put("orchestrator", target.orchestrator()).put("kind", target.kind())
                .put("name", target.name());
        if (target.namespace() != null) {
            node.put("namespace", target.namespace());
        }
        return node;
    }

    static TargetRef target(JsonNode node) {
        JsonNode namespace = node.get("namespace");
        return new TargetRef(text(node, "orchestrator"), text(node, "kind"), namespace == null || namespace.isNull() ? null
                : namespace.asText(), text(node, "name"));
    }

    static ObjectNode stats(RequestStats stats) {
        return JSON.createObjectNode().put("held", stats.held()).put("inFlight", stats.inFlight()).put("arrivals", stats.arrivals())
                .put("completed", stats.completed()).put("latencySecondsSum", stats.latencySecondsSum())
                .put("overflowed", stats.overflowed());
    }

    static RequestStats stats(JsonNode node) {
        return new RequestStats(node.path("held").asInt(), node.path("inFlight").asInt(), node.path("arrivals").asLong(),
                node.path("completed").asLong(), node.path("latencySecondsSum").asDouble(), node.path("overflowed").asLong());
    }

    static ArrayNode endpoints(List<Endpoint> endpoints) {
        ArrayNode array = JSON.createArrayNode();
        endpoints.forEach(endpoint -> array.add(endpoint.toString()));
        return array;
    }

    static List<Endpoint> endpoints(JsonNode node) {
        List<Endpoint> endpoints = new ArrayList<>();
        node.forEach(item -> endpoints.add(Endpoint.parse(item.asText())));
        return endpoints;
    }

    static ObjectNode route(TargetRef target, Route route) {
        ObjectNode node = JSON.createObjectNode().put("type", "route");
        node.set("target", target(target));
        node.put("routing", route.routing().name()).put("drain", route.drain());
        node.set("endpoints", endpoints(route.endpoints()));
        node.set("draining", endpoints(route.draining()));
        Route.Refusal refusal = route.refusal();
        if (refusal != null) {
            node.set("refusal", JSON.createObjectNode().put("reason", refusal.reason()).put("retryAt", refusal.retryAt().toString()));
        }
        return node;
    }

    static Route route(JsonNode node) {
        JsonNode refusal = node.get("refusal");
        Route.@Nullable Refusal parsed = refusal == null || refusal.isNull() ? null
                : new Route.Refusal(text(refusal, "reason"), Instant.parse(text(refusal, "retryAt")));
        return new Route(Routing.valueOf(text(node, "routing")), endpoints(node.path("endpoints")), endpoints(node.path("draining")),
                parsed, node.path("drain").asLong());
    }

    static ObjectNode failHeld(TargetRef target, int status, String reason) {
        ObjectNode node = JSON.createObjectNode().put("type", "failHeld");
        node.set("target", target(target));
        return node.put("status", status).put("reason", reason);
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' is missing or not a string");
        }
        return value.asText();
    }
}
