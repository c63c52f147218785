package io.zeroscale.daemon.config;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.jspecify.annotations.Nullable;

/**
 * The {@code api:} section.
 *
 * @param host the address the REST API binds
 * @param port the port; 0 picks a free one
 * @param token the bearer token clients must send, or null for none (loopback only)
 */
public record ApiSettings(String host, int port, @Nullable String token) {
    /** Where the API listens when the config does not say. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:8081";

    public ApiSettings {
        requireNonNull(host, "host is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * True when a request must carry the token: always when one is configured, and a daemon
     * listening on anything but loopback without one does not start (see {@link #needsToken}).
     */
    public boolean tokenRequired() {
        return token != null;
    }

    /**
     * Whether an API bound to {@code address} must demand a bearer token: anything that is not a
     * loopback address (including the wildcard 0.0.0.0 / ::, which includes every interface) is
     * reachable by others.
     */
    public static boolean needsToken(InetAddress address) {
        return !address.isLoopbackAddress();
    }

    /** The bind address, resolved. */
    public InetSocketAddress socketAddress() {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host " + host, e);
        }
    }

    @Override
    public String toString() {
        // Never print the token.
        return "ApiSettings[" + host + ":" + port + (token == null ? ", no token" : ", token set") + "]";
    }
}
