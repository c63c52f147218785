package io.zeroscale.plugin.prometheus;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The settings of one {@code type: prometheus} source under {@code metrics:}. Keys: {@code url}
 * (required), {@code timeout} (5s), {@code bearer-token}, {@code basic-auth: {username, password}},
 * {@code headers}, {@code tls: {ca-file, insecure-skip-verify}}, {@code retries: {max-attempts,
 * backoff}}. See the module README for their meaning.
 */
public final class PrometheusConfig {
    private static final Set<String> KEYS;

    static {
        Set<String> keys = new HashSet<>(HttpSettings.KEYS);
        keys.add("type");
        KEYS = Set.copyOf(keys);
    }

    private final HttpSettings http;

    private PrometheusConfig(HttpSettings http) {
        this.http = requireNonNull(http, "http is null");
    }

    /**
     * Reads and checks {@code config} strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key and the fix
     */
    public static PrometheusConfig from(Config config) {
        config.requireOnlyKeys(KEYS);
        return new PrometheusConfig(HttpSettings.read(config, Set.of()));
    }

    /** The server's base URL without a trailing slash; API paths are appended to it. */
    public URI url() {
        return http.url();
    }

    /** How long one HTTP attempt may take, connection included. */
    public Duration timeout() {
        return http.timeout();
    }

    /** Whether requests carry a bearer token. */
    public boolean hasBearerToken() {
        return http.bearerToken() != null;
    }

    /** The basic-auth user name, if basic auth is configured. */
    public Optional<String> basicAuthUsername() {
        return Optional.ofNullable(http.basicUsername());
    }

    /** Extra headers sent with every request. */
    public Map<String, String> headers() {
        return http.headers();
    }

    /** The PEM file of the CAs to trust instead of the JDK's, if set. */
    public Optional<Path> caFile() {
        return Optional.ofNullable(http.caFile());
    }

    /** Whether any server certificate is accepted (tests only). */
    public boolean insecureSkipVerify() {
        return http.insecureSkipVerify();
    }

    /** Attempts per request, the first included. */
    public int maxAttempts() {
        return http.maxAttempts();
    }

    /** The first retry's wait; later waits double, with jitter. */
    public Duration backoff() {
        return http.backoff();
    }

    HttpSettings http() {
        return http;
    }

    @Override
    public String toString() {
        return "PrometheusConfig" + http.toString().substring("HttpSettings".length());
    }
}
