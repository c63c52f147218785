package io.zeroscale.daemon.api;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A request as the handlers see it.
 *
 * @param path the path parameters, decoded
 * @param query the query parameters, decoded, each with all its values
 * @param body the request body (empty when none)
 * @param caller who sent it, for the journal
 * @param accept the {@code Accept} header, or null
 * @param session the dashboard session its cookie names, or null
 */
// The body stays a byte[] (no copy per request); nothing compares or hashes requests.
@SuppressWarnings("ArrayRecordComponent")
record ApiRequest(Map<String, String> path, Map<String, List<String>> query, byte[] body, String caller, @Nullable String accept,
        Sessions.@Nullable Session session) {
    ApiRequest(Map<String, String> path, Map<String, List<String>> query, byte[] body, String caller, @Nullable String accept) {
        this(path, query, body, caller, accept, null);
    }

    /** The first value of query parameter {@code name}, or null. */
    @Nullable String queryValue(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /**
     * Path parameter {@code name}. The router fills every parameter of the matched route's template,
     * so a missing one is a handler asking for a name its route does not have: a bug, not bad input.
     */
    String pathParameter(String name) {
        String value = path.get(name);
        if (value == null) {
            throw new IllegalStateException("route has no path parameter {" + name + "}; parameters: " + path.keySet());
        }
        return value;
    }
}
