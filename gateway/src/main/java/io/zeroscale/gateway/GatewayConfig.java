package io.zeroscale.gateway;

import static java.util.Objects.requireNonNull;
import static java.util.Objects.requireNonNullElse;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's settings, either for the whole gateway (the defaults every target inherits) or for
 * one target. {@code listen} and {@code maxHeaderSize} are read from the gateway-wide settings only:
 * they apply before a request is routed.
 *
 * @param listen the address the gateway accepts connections on; port 0 picks a free port
 * @param maxHeld the most requests held per target while it has no ready endpoint; more get 503
 * @param wakeTimeout how long a request may be held before it is answered 504; not read from a
 *     {@code gateway:} section: a daemon sets it per target from {@code
 *     targets.<name>.policy.wake-timeout}, the value the target's automaton times the wake with
 * @param drainTimeout how long a drain waits for in-flight requests before reporting drained anyway
 * @param maxHeaderSize the largest request line or header block, in bytes; larger gets 414 or 431
 * @param maxBodySize the largest request body, in bytes; larger gets 413
 * @param connectTimeout how long connecting to an endpoint may take
 * @param responseTimeout how long to wait for an endpoint's response headers; zero waits forever
 * @param loadBalancing how an endpoint is picked among the ready ones
 * @param retryAfter the {@code Retry-After} sent with 503 answers, in whole seconds
 * @param waitingPage whether a browser (GET with {@code Accept: text/html}) that has been held for
 *     {@code retryAfter} gets a page that reloads itself instead of waiting on a blank tab
 * @param trustedProxies addresses or CIDR blocks of proxies in front of the gateway whose
 *     forwarding headers are believed; gateway-wide only
 * @param headerTimeout how long a request head may take to arrive once its first byte did; then 408
 * @param bodyTimeout how long the next piece of a request body may take to arrive; then 408
 * @param idleTimeout how long a keep-alive connection may wait for its next request; gateway-wide only
 * @param responseIdleTimeout how long an endpoint may pause in the middle of a response; zero waits forever
 * @param maxConnections the most open client connections; gateway-wide only
 * @param maxConnectionsPerClient the most open connections from one client address (trusted proxies
 *     are exempt); gateway-wide only
 * @param maxHeldPerClient the most requests held for one client across all targets; gateway-wide only
 * @param maxHeldTotal the most requests held across all targets; gateway-wide only
 * @param tls TLS on the listener, or null for cleartext; gateway-wide only
 * @param http2 HTTP/2 from clients and its limits; gateway-wide only
 * @param backendProtocol how requests go to endpoints: HTTP/1.1, or HTTP/2 (h2c) for gRPC calls or all
 * @param id this gateway's id in its reports to the engine (unique among the gateways reporting to
 *     one engine, stable across restarts), or null for host name, process id and a counter;
 *     gateway-wide only
 */
public record GatewayConfig(
        InetSocketAddress listen,
        int maxHeld,
        Duration wakeTimeout,
        Duration drainTimeout,
        int maxHeaderSize,
        long maxBodySize,
        Duration connectTimeout,
        Duration responseTimeout,
        LoadBalancing loadBalancing,
        Duration retryAfter,
        boolean waitingPage,
        List<String> trustedProxies,
        Duration headerTimeout,
        Duration bodyTimeout,
        Duration idleTimeout,
        Duration responseIdleTimeout,
        int maxConnections,
        int maxConnectionsPerClient,
        int maxHeldPerClient,
        int maxHeldTotal,
        @Nullable TlsConfig tls,
        Http2Config http2,
        BackendProtocol backendProtocol,
        @Nullable String id) {

    /** The keys {@link #fromConfig} accepts. */
    public static final Set<String> KEYS = Set.of(
            "listen",
            "max-held",
            "drain-timeout",
            "max-header-size",
            "max-body-size",
            "connect-timeout",
            "response-timeout",
            "load-balancing",
            "retry-after",
            "waiting-page",
            "trusted-proxies",
            "header-timeout",
            "body-timeout",
            "idle-timeout",
            "response-idle-timeout",
            "max-connections",
            "max-connections-per-client",
            "max-held-per-client",
            "max-held-total",
            "tls",
            "http2",
            "backend-protocol",
            "id");

    private static final GatewayConfig DEFAULTS = new GatewayConfig(
            InetSocketAddress.createUnresolved("127.0.0.1", 8080),
            1000,
            // The zero-to-n automaton's default too: a wake fails at the same moment in both.
            Duration.ofMinutes(3),
            Duration.ofSeconds(30),
            8 * 1024,
            10L * 1024 * 1024,
            Duration.ofMillis(1500),
            Duration.ofMinutes(5),
            LoadBalancing.LEAST_INFLIGHT,
            Duration.ofSeconds(1),
            false,
            List.of(),
            Duration.ofSeconds(10),
            Duration.ofSeconds(30),
            Duration.ofSeconds(60),
            Duration.ZERO,
            10_000,
            1024,
            1000,
            10_000,
            null,
            Http2Config.defaults(),
            BackendProtocol.AUTO,
            null);

    public GatewayConfig {
        requireNonNull(listen, "listen is null");
        requireNonNull(wakeTimeout, "wakeTimeout is null");
        requireNonNull(drainTimeout, "drainTimeout is null");
        requireNonNull(connectTimeout, "connectTimeout is null");
        requireNonNull(responseTimeout, "responseTimeout is null");
        requireNonNull(loadBalancing, "loadBalancing is null");
        requireNonNull(retryAfter, "retryAfter is null");
        requireNonNull(http2, "http2 is null");
        requireNonNull(backendProtocol, "backendProtocol is null");
        trustedProxies = List.copyOf(requireNonNull(trustedProxies, "trustedProxies is null"));
        for (String cidr : trustedProxies) {
            TrustedProxies.parse(cidr);
        }
        requirePositive(requireNonNull(headerTimeout, "headerTimeout is null"), "headerTimeout");
        requirePositive(requireNonNull(bodyTimeout, "bodyTimeout is null"), "bodyTimeout");
        requirePositive(requireNonNull(idleTimeout, "idleTimeout is null"), "idleTimeout");
        if (requireNonNull(responseIdleTimeout, "responseIdleTimeout is null").isNegative()) {
            throw new IllegalArgumentException("responseIdleTimeout must not be negative");
        }
        requireAtLeastOne(maxConnections, "maxConnections");
        requireAtLeastOne(maxConnectionsPerClient, "maxConnectionsPerClient");
        requireAtLeastOne(maxHeldPerClient, "maxHeldPerClient");
        requireAtLeastOne(maxHeldTotal, "maxHeldTotal");
        if (maxHeld < 1) {
            // Holding nothing would also mean never waking: a rise in held is the wake signal.
            throw new IllegalArgumentException("maxHeld must be at least 1, got " + maxHeld);
        }
        requirePositive(wakeTimeout, "wakeTimeout");
        requirePositive(drainTimeout, "drainTimeout");
        requirePositive(connectTimeout, "connectTimeout");
        if (responseTimeout.isNegative()) {
            throw new IllegalArgumentException("responseTimeout must not be negative");
        }
        if (maxHeaderSize < 256) {
            throw new IllegalArgumentException("maxHeaderSize must be at least 256 bytes, got " + maxHeaderSize);
        }
        if (maxBodySize < 0) {
            throw new IllegalArgumentException("maxBodySize must not be negative");
        }
        if (retryAfter.compareTo(Duration.ofSeconds(1)) < 0 || retryAfter.toNanosPart() != 0) {
            throw new IllegalArgumentException("retryAfter must be a whole number of seconds, at least 1s, got "
                    + Durations.format(retryAfter));
        }
    }

    private static void requireAtLeastOne(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
    }

    private static void requirePositive(Duration value, String name) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + Durations.format(value));
        }
    }

    /** The defaults: listen 127.0.0.1:8080, hold 1000 for up to 2m, drain 30s, 8KiB headers, 10MiB bodies. */
    public static GatewayConfig defaults() {
        return DEFAULTS;
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder(DEFAULTS);
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Reads a {@code gateway:} section on top of {@link #defaults()}; see {@link #fromConfig(Config, GatewayConfig)}. */
    public static GatewayConfig fromConfig(Config config) {
        return fromConfig(config, DEFAULTS);
    }

    /**
     * Reads the keys in {@link #KEYS} from {@code config}; absent keys keep their value in {@code
     * base} (so a target's section can override the gateway-wide one). Unknown keys and bad values
     * fail with the key's full path and the fix.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID}
     */
    public static GatewayConfig fromConfig(Config config, GatewayConfig base) {
        requireNonNull(config, "config is null");
        requireNonNull(base, "base is null");
        if (config.has("wake-timeout")) {
            throw config.invalid("wake-timeout", "is not a gateway setting any more; set the target's"
                    + " policy.wake-timeout (targets.<name>.policy.wake-timeout), which the gateway and the"
                    + " automaton both read, and remove this key");
        }
        config.requireOnlyKeys(KEYS);
        Builder builder = base.toBuilder();
        config.string("id").ifPresent(text -> {
            if (text.isBlank() || !text.strip().equals(text) || text.chars().anyMatch(Character::isISOControl)) {
                throw config.invalid("id", "must be a non-blank name without surrounding spaces or control characters, got '"
                        + text + "'; e.g. id: gateway-a");
            }
            builder.id(text);
        });
        config.string("listen").ifPresent(text -> builder.listen(parseListen(config, text)));
        config.longValue("max-held").ifPresent(value -> {
            if (value < 1 || value > Integer.MAX_VALUE) {
                throw config.invalid("max-held", "must be a whole number of at least 1, got " + value
                        + " (every target must be able to hold the request that wakes it)");
            }
            builder.maxHeld(value.intValue());
        });
        config.duration("drain-timeout").ifPresent(value -> builder.drainTimeout(positive(config, "drain-timeout", value)));
        config.duration("connect-timeout")
                .ifPresent(value -> builder.connectTimeout(positive(config, "connect-timeout", value)));
        config.duration("response-timeout").ifPresent(builder::responseTimeout);
        config.string("max-header-size").ifPresent(text -> {
            long size = size(config, "max-header-size", text);
            if (size < 256 || size > 1024 * 1024) {
                throw config.invalid("max-header-size", "must be between 256B and 1MiB, got " + text);
            }
            builder.maxHeaderSize((int) size);
        });
        config.string("max-body-size").ifPresent(text -> builder.maxBodySize(size(config, "max-body-size", text)));
        config.string("load-balancing").ifPresent(text -> builder.loadBalancing(loadBalancing(config, text)));
        config.duration("retry-after").ifPresent(value -> {
            if (value.compareTo(Duration.ofSeconds(1)) < 0 || value.toNanosPart() != 0) {
                throw config.invalid("retry-after", "must be a whole number of seconds, at least 1s, got "
                        + Durations.format(value));
            }
            builder.retryAfter(value);
        });
        builder.waitingPage(config.bool("waiting-page", base.waitingPage()));
        if (config.has("trusted-proxies")) {
            List<String> cidrs = config.stringList("trusted-proxies");
            for (String cidr : cidrs) {
                try {
                    TrustedProxies.parse(cidr);
                } catch (IllegalArgumentException e) {
                    throw config.invalid("trusted-proxies", requireNonNullElse(e.getMessage(), "'" + cidr + "' is not a CIDR block"));
                }
            }
            builder.trustedProxies(cidrs);
        }
        config.duration("header-timeout").ifPresent(v -> builder.headerTimeout(positive(config, "header-timeout", v)));
        config.duration("body-timeout").ifPresent(v -> builder.bodyTimeout(positive(config, "body-timeout", v)));
        config.duration("idle-timeout").ifPresent(v -> builder.idleTimeout(positive(config, "idle-timeout", v)));
        config.duration("response-idle-timeout").ifPresent(builder::responseIdleTimeout);
        count(config, "max-connections").ifPresent(builder::maxConnections);
        count(config, "max-connections-per-client").ifPresent(builder::maxConnectionsPerClient);
        count(config, "max-held-per-client").ifPresent(builder::maxHeldPerClient);
        count(config, "max-held-total").ifPresent(builder::maxHeldTotal);
        config.optionalChild("tls").ifPresent(section -> builder.tls(TlsConfig.fromConfig(section)));
        config.optionalChild("http2").ifPresent(section -> builder.http2(Http2Config.fromConfig(section)));
        config.string("backend-protocol").ifPresent(text -> {
            try {
                builder.backendProtocol(BackendProtocol.parse(text));
            } catch (IllegalArgumentException e) {
                throw config.invalid("backend-protocol", String.valueOf(e.getMessage()));
            }
        });
        return builder.build();
    }

    private static java.util.Optional<Integer> count(Config config, String key) {
        return config.longValue(key).map(value -> {
            if (value < 1 || value > Integer.MAX_VALUE) {
                throw config.invalid(key, "must be a whole number of at least 1, got " + value);
            }
            return value.intValue();
        });
    }

    private static Duration positive(Config config, String key, Duration value) {
        if (value.isZero()) {
            throw config.invalid(key, "must be longer than 0s");
        }
        return value;
    }

    private static long size(Config config, String key, String text) {
        try {
            return ByteSizes.parse(text);
        } catch (IllegalArgumentException e) {
            // ByteSizes.parse always says what is wrong; the fallback only keeps a message if it did not.
            throw config.invalid(key, requireNonNullElse(e.getMessage(), "'" + text + "' is not a size"));
        }
    }

    private static LoadBalancing loadBalancing(Config config, String text) {
        String normalized = text.trim().toLowerCase(Locale.ROOT);
        for (LoadBalancing value : LoadBalancing.values()) {
            if (value.configName().equals(normalized)) {
                return value;
            }
        }
        Set<String> names = Arrays.stream(LoadBalancing.values())
                .map(LoadBalancing::configName)
                .collect(Collectors.toSet());
        throw config.invalid("load-balancing", "unknown value '" + text + "'; "
                + Config.suggestion(normalized, names, "valid values are"));
    }

    private static InetSocketAddress parseListen(Config config, String text) {
        String trimmed = text.trim();
        int colon = trimmed.lastIndexOf(':');
        String fix = "write host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080 (port 0 picks a free port)";
        if (colon <= 0 || colon == trimmed.length() - 1) {
            throw config.invalid("listen", "'" + text + "' is not host:port; " + fix);
        }
        String host = trimmed.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(trimmed.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw config.invalid("listen", "'" + text + "' has no numeric port; " + fix);
        }
        if (port < 0 || port > 65535 || host.isBlank()) {
            throw config.invalid("listen", "'" + text + "' is not a valid address; " + fix);
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** Builds a {@link GatewayConfig}; every setter validates when {@link #build()} is called. */
    public static final class Builder {
        private InetSocketAddress listen;
        private int maxHeld;
        private Duration wakeTimeout;
        private Duration drainTimeout;
        private int maxHeaderSize;
        private long maxBodySize;
        private Duration connectTimeout;
        private Duration responseTimeout;
        private LoadBalancing loadBalancing;
        private Duration retryAfter;
        private boolean waitingPage;
        private List<String> trustedProxies;
        private Duration headerTimeout;
        private Duration bodyTimeout;
        private Duration idleTimeout;
        private Duration responseIdleTimeout;
        private int maxConnections;
        private int maxConnectionsPerClient;
        private int maxHeldPerClient;
        private int maxHeldTotal;
        private @Nullable TlsConfig tls;
        private Http2Config http2;
        private BackendProtocol backendProtocol;
        private @Nullable String id;

        private Builder(GatewayConfig from) {
            id = from.id;
            listen = from.listen;
            maxHeld = from.maxHeld;
            wakeTimeout = from.wakeTimeout;
            drainTimeout = from.drainTimeout;
            maxHeaderSize = from.maxHeaderSize;
            maxBodySize = from.maxBodySize;
            connectTimeout = from.connectTimeout;
            responseTimeout = from.responseTimeout;
            loadBalancing = from.loadBalancing;
            retryAfter = from.retryAfter;
            waitingPage = from.waitingPage;
            trustedProxies = from.trustedProxies;
            headerTimeout = from.headerTimeout;
            bodyTimeout = from.bodyTimeout;
            idleTimeout = from.idleTimeout;
            responseIdleTimeout = from.responseIdleTimeout;
            maxConnections = from.maxConnections;
            maxConnectionsPerClient = from.maxConnectionsPerClient;
            maxHeldPerClient = from.maxHeldPerClient;
            maxHeldTotal = from.maxHeldTotal;
            tls = from.tls;
            http2 = from.http2;
            backendProtocol = from.backendProtocol;
        }

        public Builder listen(InetSocketAddress value) {
            listen = value;
            return this;
        }

        /** Listen on {@code host:port}; port 0 picks a free port. */
        public Builder listen(String host, int port) {
            listen = InetSocketAddress.createUnresolved(host, port);
            return this;
        }

        public Builder maxHeld(int value) {
            maxHeld = value;
            return this;
        }

        public Builder wakeTimeout(Duration value) {
            wakeTimeout = value;
            return this;
        }

        public Builder drainTimeout(Duration value) {
            drainTimeout = value;
            return this;
        }

        public Builder maxHeaderSize(int value) {
            maxHeaderSize = value;
            return this;
        }

        public Builder maxBodySize(long value) {
            maxBodySize = value;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            connectTimeout = value;
            return this;
        }

        public Builder responseTimeout(Duration value) {
            responseTimeout = value;
            return this;
        }

        public Builder loadBalancing(LoadBalancing value) {
            loadBalancing = value;
            return this;
        }

        public Builder retryAfter(Duration value) {
            retryAfter = value;
            return this;
        }

        public Builder waitingPage(boolean value) {
            waitingPage = value;
            return this;
        }

        /** Addresses or CIDR blocks ({@code 10.0.0.0/8}, {@code ::1}) whose forwarding headers are believed. */
        public Builder trustedProxies(List<String> value) {
            trustedProxies = value;
            return this;
        }

        public Builder headerTimeout(Duration value) {
            headerTimeout = value;
            return this;
        }

        public Builder bodyTimeout(Duration value) {
            bodyTimeout = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        public Builder responseIdleTimeout(Duration value) {
            responseIdleTimeout = value;
            return this;
        }

        public Builder maxConnections(int value) {
            maxConnections = value;
            return this;
        }

        public Builder maxConnectionsPerClient(int value) {
            maxConnectionsPerClient = value;
            return this;
        }

        public Builder maxHeldPerClient(int value) {
            maxHeldPerClient = value;
            return this;
        }

        public Builder maxHeldTotal(int value) {
            maxHeldTotal = value;
            return this;
        }

        /** How requests go to endpoints; {@link BackendProtocol#AUTO} by default. */
        public Builder backendProtocol(BackendProtocol value) {
            backendProtocol = value;
            return this;
        }

        /** HTTP/2 from clients and its limits. */
        public Builder http2(Http2Config value) {
            http2 = value;
            return this;
        }

        /** This gateway's id in its reports; null (the default) for host name, process id and a counter. */
        public Builder id(@Nullable String value) {
            id = value;
            return this;
        }

        /** TLS on the listener; null (the default) serves cleartext. */
        public Builder tls(@Nullable TlsConfig value) {
            tls = value;
            return this;
        }

        /**
         * Checks the values and builds the config.
         *
         * @throws IllegalArgumentException when a value is out of range
         */
        public GatewayConfig build() {
            return new GatewayConfig(listen, maxHeld, wakeTimeout, drainTimeout, maxHeaderSize, maxBodySize,
                    connectTimeout, responseTimeout, loadBalancing, retryAfter, waitingPage, trustedProxies,
                    headerTimeout, bodyTimeout, idleTimeout, responseIdleTimeout, maxConnections,
                    maxConnectionsPerClient, maxHeldPerClient, maxHeldTotal, tls, http2, backendProtocol, id);
        }
    }
}
