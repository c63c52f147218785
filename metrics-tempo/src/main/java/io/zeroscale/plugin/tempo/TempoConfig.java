package io.zeroscale.plugin.tempo;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one {@code type: tempo} source under {@code metrics:}. Keys: {@code url}
 * (required), {@code timeout} (5s), {@code bearer-token}, {@code basic-auth: {username,
 * password}}, {@code headers}, {@code tls: {ca-file, insecure-skip-verify}}, {@code retries:
 * {max-attempts, backoff}}, {@code org-id} (sent as {@code X-Scope-OrgID}), {@code ingest-lag}
 * (40s) and {@code search: {limit, spans-per-spanset}}. See the module README for their meaning.
 */
public final class TempoConfig {
    /** Tempo never returns the newest 30s (query_end_cutoff) and a trace shows up ~10s after its last span. */
    static final Duration DEFAULT_INGEST_LAG = Duration.ofSeconds(40);
    static final int DEFAULT_SEARCH_LIMIT = 1000;
    static final int DEFAULT_SPANS_PER_SPANSET = 100;
    static final String ORG_ID_HEADER = "X-Scope-OrgID";

    private static final Set<String> KEYS;

    static {
        Set<String> keys = new HashSet<>(HttpSettings.KEYS);
        keys.addAll(Set.of("type", "org-id", "ingest-lag", "search"));
        KEYS = Set.copyOf(keys);
    }

    private final HttpSettings http;
    private final @Nullable String orgId;
    private final Duration ingestLag;
    private final int searchLimit;
    private final int spansPerSpanset;

    private TempoConfig(HttpSettings http, @Nullable String orgId, Duration ingestLag, int searchLimit, int spansPerSpanset) {
        this.http = requireNonNull(http, "http is null");
        this.orgId = orgId;
        this.ingestLag = requireNonNull(ingestLag, "ingestLag is null");
        this.searchLimit = searchLimit;
        this.spansPerSpanset = spansPerSpanset;
    }

    /**
     * Reads and checks {@code config} strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key and the fix
     */
    public static TempoConfig from(Config config) {
        config.requireOnlyKeys(KEYS);
        HttpSettings http = HttpSettings.read(config, Set.of("x-scope-orgid"));
        String orgId = config.string("org-id").orElse(null);
        if (orgId != null) {
            if (orgId.isBlank()) {
                throw config.invalid("org-id", "is empty; remove it for a single-tenant Tempo or set the tenant id");
            }
            http = http.withHeader(ORG_ID_HEADER, orgId);
        }
        Duration ingestLag = config.duration("ingest-lag", DEFAULT_INGEST_LAG);
        Config search = config.child("search").requireOnlyKeys(Set.of("limit", "spans-per-spanset"));
        int limit = search.integer("limit", DEFAULT_SEARCH_LIMIT);
        if (limit < 1) {
            throw search.invalid("limit", "must be at least 1, got " + limit);
        }
        int spss = search.integer("spans-per-spanset", DEFAULT_SPANS_PER_SPANSET);
        if (spss < 1) {
            throw search.invalid("spans-per-spanset", "must be at least 1, got " + spss);
        }
        return new TempoConfig(http, orgId, ingestLag, limit, spss);
    }

    /** The server's base URL without a trailing slash; API paths are appended to it. */
    public URI url() {
        return http.url();
    }

    /** How long one HTTP attempt may take, connection included. */
    public Duration timeout() {
        return http.timeout();
    }

    /** The tenant sent as {@code X-Scope-OrgID}, for a multi-tenant Tempo. */
    public Optional<String> orgId() {
        return Optional.ofNullable(orgId);
    }

    /** How far before now every query window ends, so traces still being ingested are not missed. */
    public Duration ingestLag() {
        return ingestLag;
    }

    /** The most traces one search asks for; a search that returns this many reads as unknown. */
    public int searchLimit() {
        return searchLimit;
    }

    /** Spans per matched spanset a search asks for; traces with more matched spans are fetched whole. */
    public int spansPerSpanset() {
        return spansPerSpanset;
    }

    /** Whether requests carry a bearer token. */
    public boolean hasBearerToken() {
        return http.bearerToken() != null;
    }

    /** The basic-auth user name, if basic auth is configured. */
    public Optional<String> basicAuthUsername() {
        return Optional.ofNullable(http.basicUsername());
    }

    /** Extra headers sent with every request, {@code X-Scope-OrgID} included when {@code org-id} is set. */
    public Map<String, String> headers() {
        return http.headers();
    }

    /** The PEM file of the CAs to trust instead of the JDK's, if set. */
    public Optional<Path> caFile() {
        return Optional.ofNullable(http.caFile());
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
        return "TempoConfig" + http.toString().substring("HttpSettings".length(), http.toString().length() - 1)
                + ", orgId=" + orgId + ", ingestLag=" + Durations.format(ingestLag) + ", searchLimit=" + searchLimit
                + ", spansPerSpanset=" + spansPerSpanset + "]";
    }
}
