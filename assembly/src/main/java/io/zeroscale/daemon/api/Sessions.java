package io.zeroscale.daemon.api;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Browser sessions for the dashboard. An {@code EventSource} cannot send an
 * {@code Authorization} header, so the page exchanges the API token once ({@code POST /session}
 * with the bearer token) for an HttpOnly, SameSite=Strict cookie that authenticates its later
 * requests; the page never keeps the token. Every state-changing request authenticated by the
 * cookie alone must also carry the session's CSRF token in {@code X-CSRF-Token}, which only the
 * page that signed in knows. Sessions live in memory (a restart signs everyone out), expire after
 * {@link #LIFETIME}, and at most {@link #MAX} exist (the oldest goes first).
 *
 * <p>Without an {@code api.token} (loopback only) no session is needed: the routes answer with no
 * cookie and no CSRF token, and the API's Host and Origin checks keep other sites' pages out.
 */
final class Sessions {
    static final String COOKIE = "zeroscale_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    static final Duration LIFETIME = Duration.ofHours(12);
    static final int MAX = 1000;

    /** One signed-in page. */
    record Session(String id, String csrf, Instant expiresAt) {}

    private final boolean tokenRequired;
    private final SecureRandom random = new SecureRandom();
    /** Oldest first, so the first one is evicted when full. Guarded by itself. */
    private final Map<String, Session> sessions = new LinkedHashMap<>();

    Sessions(boolean tokenRequired) {
        this.tokenRequired = tokenRequired;
    }

    /** The live session the {@code Cookie} header names, or null. */
    @Nullable Session find(@Nullable String cookieHeader) {
        String id = cookie(cookieHeader);
        if (id == null || !tokenRequired) {
            return null;
        }
        synchronized (sessions) {
            Session session = sessions.get(id);
            if (session == null) {
                return null;
            }
            if (!Instant.now().isBefore(session.expiresAt())) {
                sessions.remove(id);
                return null;
            }
            return session;
        }
    }

    /** True when {@code header} is the CSRF token of {@code session}; compared in constant time. */
    static boolean csrfMatches(Session session, @Nullable String header) {
        return header != null && MessageDigest.isEqual(session.csrf().getBytes(UTF_8), header.strip().getBytes(UTF_8));
    }

    private static @Nullable String cookie(@Nullable String header) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            int equals = part.indexOf('=');
            if (equals > 0 && part.substring(0, equals).strip().equals(COOKIE)) {
                return part.substring(equals + 1).strip();
            }
        }
        return null;
    }

    private String secret() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    List<ApiRoute> routes() {
        return List.of(
                new ApiRoute("POST", "/session", false, this::create),
                new ApiRoute("GET", "/session", false, request -> ApiResponse.ok(view(request.session()))),
                new ApiRoute("DELETE", "/session", false, this::delete));
    }

    private ApiResponse create(ApiRequest request) {
        emptyObject(request.body());
        if (!tokenRequired) {
            return ApiResponse.ok(view(null));
        }
        Instant expiresAt = Instant.now().plus(LIFETIME);
        Session session = new Session(secret(), secret(), expiresAt);
        synchronized (sessions) {
            if (sessions.size() >= MAX) {
                Iterator<String> oldest = sessions.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
            sessions.put(session.id(), session);
        }
        return withCookie(ApiResponse.ok(view(session)), session.id(), LIFETIME.toSeconds());
    }

    private ApiResponse delete(ApiRequest request) {
        Session session = request.session();
        if (session != null) {
            synchronized (sessions) {
                sessions.remove(session.id());
            }
        }
        return withCookie(ApiResponse.ok(view(null)), "", 0);
    }

    private static Map<String, Object> view(@Nullable Session session) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("csrf", session == null ? null : session.csrf());
        out.put("expiresAt", session == null ? null : session.expiresAt().toString());
        return out;
    }

    private static ApiResponse withCookie(ApiResponse response, String value, long maxAgeSeconds) {
        Map<String, String> headers = new LinkedHashMap<>(response.headers());
        // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it.
        headers.put("Set-Cookie", COOKIE + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + maxAgeSeconds);
        headers.put("Cache-Control", "no-store");
        return new ApiResponse(response.status(), response.contentType(), response.body(), headers);
    }

    private static void emptyObject(byte[] body) {
        if (body.length == 0) {
            return;
        }
        Iterator<String> names = Json.readObject(body, "an empty JSON object {}").fieldNames();
        if (names.hasNext()) {
            throw ApiException.badRequest(names.next() + ": unknown field; send an empty JSON object {} and the token in Authorization");
        }
    }
}
