package io.zeroscale.daemon.config;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The {@code api:} section.
 *
 * @param host the address the REST API binds
 * @param port the port; 0 picks a free one
 * @param token the bearer token clients must send, or null for none (loopback only)
 * @param events the limits of the dashboard's event stream ({@code api.events})
 */
public record ApiSettings(String host, int port, @Nullable String token, Events events) {
    /** Where the API listens when the config does not say. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:8081";

    public ApiSettings {
        requireNonNull(host, "host is null");
        requireNonNull(events, "events is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** With the default event-stream limits. */
    public ApiSettings(String host, int port, @Nullable String token) {
        this(host, port, token, Events.DEFAULT);
    }

    /**
     * The limits of {@code GET /events}, the Server-Sent Events stream the dashboard reads. Each
     * client costs a thread (virtual) and up to {@code buffer} queued events; a client that falls
     * {@code buffer} events behind is dropped (its browser reconnects and starts from a fresh
     * snapshot), so a slow reader never holds the engine back or grows the heap.
     *
     * @param maxClients streams open at once; one more is answered 503
     * @param buffer events queued per client before it is dropped as too slow
     * @param maxDuration a stream is closed after this long (the browser reconnects at once), so a
     *     forgotten tab or a half-open connection does not hold a slot for ever
     * @param heartbeat a comment line is sent after this long without an event: proxies keep the
     *     connection, and a client that went away is noticed
     */
    public record Events(int maxClients, int buffer, Duration maxDuration, Duration heartbeat) {
        public static final Events DEFAULT = new Events(32, 1024, Duration.ofMinutes(30), Duration.ofSeconds(15));

        public Events {
            if (maxClients < 1) {
                throw new IllegalArgumentException("maxClients must be at least 1");
            }
            if (buffer < 1) {
                throw new IllegalArgumentException("buffer must be at least 1");
            }
            requireNonNull(maxDuration, "maxDuration is null");
            requireNonNull(heartbeat, "heartbeat is null");
            if (maxDuration.isNegative() || maxDuration.isZero() || heartbeat.isNegative() || heartbeat.isZero()) {
                throw new IllegalArgumentException("maxDuration and heartbeat must be positive");
            }
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
