package io.zeroscale.plugin.support;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The part of a metric source's config that says how to reach its backend over HTTP: the
 * accessors of the shared keys, for a source's public config class to extend ({@code
 * PrometheusConfig}, {@code TempoConfig}). The subclass reads the config in its factory method
 * with {@link HttpSettings#read} and adds its own keys. Immutable, so safe to share between
 * threads; secrets are only ever reported as present or absent.
 */
public abstract class HttpSourceConfig {
    private final HttpSettings http;

    /** @throws NullPointerException when {@code http} is null */
    protected HttpSourceConfig(HttpSettings http) {
        this.http = requireNonNull(http, "http is null");
    }

    /**
     * The keys a source's config may have: {@link HttpSettings#KEYS}, {@code type} and {@code
     * ownKeys}, for {@code Config.requireOnlyKeys}.
     */
    protected static Set<String> keysWith(String... ownKeys) {
        Set<String> keys = new HashSet<>(HttpSettings.KEYS);
        keys.add("type");
        keys.addAll(List.of(ownKeys));
        return Set.copyOf(keys);
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

    /** Extra headers sent with every request, those the source derives from its own keys included. */
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

    /** The settings to build the source's {@link HttpTransport} from. They hold the secrets. */
    public HttpSettings http() {
        return http;
    }
}
