package io.zeroscale.gateway;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** Host header handling shared by routing and config. */
final class Hosts {
    private Hosts() {}

    /** {@code example.com:8080} becomes {@code example.com}; {@code [::1]:80} becomes {@code [::1]}. */
    static String withoutPort(String host) {
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close < 0 ? host : host.substring(0, close + 1);
        }
        int colon = host.indexOf(':');
        // More than one colon without brackets is a bare IPv6 address, which has no port.
        if (colon >= 0 && host.indexOf(':', colon + 1) < 0) {
            return host.substring(0, colon);
        }
        return host;
    }

    /** The routing key of a Host header value: lower case, without port; null when absent or blank. */
    static @Nullable String normalize(@Nullable String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return null;
        }
        return withoutPort(hostHeader.trim()).toLowerCase(Locale.ROOT);
    }
}
