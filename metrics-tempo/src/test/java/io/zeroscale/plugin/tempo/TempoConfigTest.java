package io.zeroscale.plugin.tempo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TempoConfigTest {
    private static TempoConfig read(Map<String, ?> values) {
        return TempoConfig.from(TestData.sourceConfig(values));
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> values = new LinkedHashMap<>(Map.of("type", "tempo", "url", "http://tempo.example:3200"));
        values.put(key, value);
        return values;
    }

    private static void assertInvalid(Map<String, ?> values, String... fragments) {
        assertThatThrownBy(() -> read(values))
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID))
                .message().contains(fragments);
    }

    @Test
    void defaults() {
        TempoConfig config = read(Map.of("type", "tempo", "url", "http://127.0.0.1:3200/"));

        assertThat(config.url()).isEqualTo(URI.create("http://127.0.0.1:3200"));
        assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.orgId()).isEmpty();
        assertThat(config.ingestLag()).isEqualTo(Duration.ofSeconds(40));
        assertThat(config.searchLimit()).isEqualTo(1000);
        assertThat(config.spansPerSpanset()).isEqualTo(100);
        assertThat(config.maxAttempts()).isEqualTo(3);
        assertThat(config.backoff()).isEqualTo(Duration.ofMillis(200));
        assertThat(config.headers()).isEmpty();
    }

    @Test
    void orgIdBecomesTheTenantHeader() {
        TempoConfig config = read(with("org-id", "team-a"));

        assertThat(config.orgId()).contains("team-a");
        assertThat(config.headers()).containsEntry("X-Scope-OrgID", "team-a");
    }

    @Test
    void theTenantHeaderIsSetOnlyThroughOrgId() {
        assertInvalid(with("headers", Map.of("X-Scope-OrgID", "team-a")), "metrics.tempo.headers.X-Scope-OrgID",
                "set by the source");
    }

    @Test
    void searchSettings() {
        TempoConfig config = read(with("search", Map.of("limit", 50, "spans-per-spanset", 10)));

        assertThat(config.searchLimit()).isEqualTo(50);
        assertThat(config.spansPerSpanset()).isEqualTo(10);
        assertInvalid(with("search", Map.of("limit", 0)), "metrics.tempo.search.limit", "at least 1");
        assertInvalid(with("search", Map.of("spans-per-spanset", 0)), "metrics.tempo.search.spans-per-spanset", "at least 1");
        assertInvalid(with("search", Map.of("limt", 5)), "metrics.tempo.search.limt", "did you mean 'limit'?");
    }

    @Test
    void badValuesAreNamed() {
        assertInvalid(Map.of("type", "tempo"), "metrics.tempo.url", "required");
        assertInvalid(with("ingest-lag", "soon"), "metrics.tempo.ingest-lag");
        assertInvalid(with("org-id", " "), "metrics.tempo.org-id", "empty");
        assertInvalid(with("orgid", "a"), "metrics.tempo.orgid", "did you mean 'org-id'?");
    }

    @Test
    void secretsStayOutOfToString() {
        Map<String, Object> values = with("basic-auth", Map.of("username", "alice", "password", "s3cret"));

        assertThat(read(values).toString()).doesNotContain("s3cret").contains("alice", "ingestLag=40s");
    }
}
