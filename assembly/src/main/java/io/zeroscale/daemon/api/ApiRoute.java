package io.zeroscale.daemon.api;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One route of the REST API: a method, a path template such as {@code /targets/{name}}, and its
 * handler. {@code open} routes (health, readiness) answer without a token, so probes need none.
 */
record ApiRoute(String method, String template, boolean open, Handler handler) {
    ApiRoute {
        requireNonNull(method, "method is null");
        requireNonNull(template, "template is null");
        requireNonNull(handler, "handler is null");
    }

    /** Answers one request. */
    @FunctionalInterface
    interface Handler {
        ApiResponse handle(ApiRequest request) throws Exception;
    }

    /** The path parameters when {@code segments} (decoded) match this template. */
    Optional<Map<String, String>> match(List<String> segments) {
        List<String> parts = segments(template);
        if (parts.size() != segments.size()) {
            return Optional.empty();
        }
        Map<String, String> parameters = new java.util.LinkedHashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            if (part.startsWith("{") && part.endsWith("}")) {
                if (segments.get(i).isEmpty()) {
                    return Optional.empty();
                }
                parameters.put(part.substring(1, part.length() - 1), segments.get(i));
            } else if (!part.equals(segments.get(i))) {
                return Optional.empty();
            }
        }
        return Optional.of(parameters);
    }

    static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        for (String part : path.split("/", -1)) {
            out.add(part);
        }
        // "/a/b" splits into "", "a", "b": the leading empty part is the root, not a segment.
        return out.isEmpty() ? out : out.subList(1, out.size());
    }
}
