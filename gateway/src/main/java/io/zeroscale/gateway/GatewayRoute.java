package io.zeroscale.gateway;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.TargetRef;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Which requests go to which target. A request matches when its host equals {@code host} (ignoring
 * case and port; a null host matches every host) and its path starts with {@code pathPrefix} at a
 * segment boundary ({@code /api} matches {@code /api} and {@code /api/v1}, not {@code /apix}). Of
 * all matching routes the longest prefix wins; on a tie a route with a host beats one without.
 *
 * @param target the target that serves the matching requests
 * @param host the host name to match, or null for any host
 * @param pathPrefix the path prefix to match, starting with {@code /}
 */
public record GatewayRoute(TargetRef target, @Nullable String host, String pathPrefix) {
    public GatewayRoute {
        requireNonNull(target, "target is null");
        requireNonNull(pathPrefix, "pathPrefix is null");
        if (!pathPrefix.startsWith("/")) {
            throw new IllegalArgumentException("pathPrefix must start with '/', got '" + pathPrefix + "'");
        }
        if (host != null) {
            if (host.isBlank()) {
                host = null;
            } else {
                host = Hosts.withoutPort(host.trim()).toLowerCase(Locale.ROOT);
            }
        }
    }

    /** Every request whose path starts with {@code pathPrefix}, whatever its host. */
    public static GatewayRoute path(TargetRef target, String pathPrefix) {
        return new GatewayRoute(target, null, pathPrefix);
    }

    /** Every request for {@code host}. */
    public static GatewayRoute host(TargetRef target, String host) {
        return new GatewayRoute(target, host, "/");
    }

    /** True when a request for {@code requestHost} (lower case, no port; null if none) and {@code path} matches. */
    boolean matches(@Nullable String requestHost, String path) {
        if (host != null && !host.equals(requestHost)) {
            return false;
        }
        if (!path.startsWith(pathPrefix)) {
            return false;
        }
        if (pathPrefix.endsWith("/") || path.length() == pathPrefix.length()) {
            return true;
        }
        char next = path.charAt(pathPrefix.length());
        return next == '/' || next == '?' || next == '#';
    }
}
