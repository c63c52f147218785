package io.zeroscale.plugin.tempo;

import static java.util.Objects.requireNonNull;

import io.zeroscale.plugin.support.HttpSettings;
import io.zeroscale.plugin.support.HttpSourceConfig;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.time.Duration;
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
public final class TempoConfig extends HttpSourceConfig {
    /** Tempo never returns the newest 30s (query_end_cutoff) and a trace shows up ~10s after its last span. */
    static final Duration DEFAULT_INGEST_LAG = Duration.ofSeconds(40);
    static final int DEFAULT_SEARCH_LIMIT = 1000;
    static final int DEFAULT_SPANS_PER_SPANSET = 100;
    static final String ORG_ID_HEADER = "X-Scope-OrgID";

    private static final Set<String> KEYS = keysWith("org-id", "ingest-lag", "search");

    private final @Nullable String orgId;
    private final Duration ingestLag;
    private final int searchLimit;
    private final int spansPerSpanset;

    private TempoConfig(HttpSettings http, @Nullable String orgId, Duration ingestLag, int searchLimit, int spansPerSpanset) {
        super(http);
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
        HttpSettings http = HttpSettings.read(config, Set.of("x-scope-orgid"), "http://127.0.0.1:3200");
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

    @Override
    public String toString() {
        String http = http().toString();
        return "TempoConfig" + http.substring("HttpSettings".length(), http.length() - 1)
                + ", orgId=" + orgId + ", ingestLag=" + Durations.format(ingestLag) + ", searchLimit=" + searchLimit
                + ", spansPerSpanset=" + spansPerSpanset + "]";
    }
}
