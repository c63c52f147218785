package io.zeroscale.plugin.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrometheusConfigTest {
    private static PrometheusConfig read(Map<String, ?> values) {
        return PrometheusConfig.from(TestData.sourceConfig(values));
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> values = new LinkedHashMap<>(Map.of("type", "prometheus", "url", "https://prom.example:9090"));
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
        PrometheusConfig config = read(Map.of("type", "prometheus", "url", "http://127.0.0.1:9090/"));

        assertThat(config.url()).isEqualTo(URI.create("http://127.0.0.1:9090"));
        assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.maxAttempts()).isEqualTo(3);
        assertThat(config.backoff()).isEqualTo(Duration.ofMillis(200));
        assertThat(config.hasBearerToken()).isFalse();
        assertThat(config.basicAuthUsername()).isEmpty();
        assertThat(config.headers()).isEmpty();
        assertThat(config.caFile()).isEmpty();
        assertThat(config.insecureSkipVerify()).isFalse();
    }

    @Test
    void everyKey(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("ca.pem");
        try (var in = PrometheusConfigTest.class.getResourceAsStream("/tls/cert.pem")) {
            Files.copy(in, ca);
        }
        Map<String, Object> values = new LinkedHashMap<>(Map.of(
                "url", "https://prom.example/prometheus",
                "timeout", "2s",
                "basic-auth", Map.of("username", "alice", "password", "s3cret"),
                "headers", Map.of("X-Team", "search"),
                "tls", Map.of("ca-file", ca.toString()),
                "retries", Map.of("max-attempts", 5, "backoff", "50ms")));

        PrometheusConfig config = read(values);

        assertThat(config.url()).isEqualTo(URI.create("https://prom.example/prometheus"));
        assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.basicAuthUsername()).contains("alice");
        assertThat(config.headers()).containsExactly(Map.entry("X-Team", "search"));
        assertThat(config.caFile()).contains(ca);
        assertThat(config.maxAttempts()).isEqualTo(5);
        assertThat(config.backoff()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void urlIsRequired() {
        assertInvalid(Map.of("type", "prometheus"), "metrics.prom.url", "required");
    }

    @Test
    void urlMustBeHttp() {
        assertInvalid(Map.of("url", "prom.example:9090"), "metrics.prom.url", "http://");
        assertInvalid(Map.of("url", "ftp://prom.example"), "metrics.prom.url", "http://");
    }

    @Test
    void anUnknownKeySuggestsTheClosestOne() {
        assertInvalid(with("timout", "5s"), "metrics.prom.timout", "did you mean 'timeout'?");
    }

    @Test
    void aBadTimeoutNamesTheFormat() {
        assertInvalid(with("timeout", "5 seconds"), "metrics.prom.timeout", "30s");
        assertInvalid(with("timeout", "0s"), "metrics.prom.timeout", "more than 0");
    }

    @Test
    void bearerTokenAndBasicAuthExcludeEachOther() {
        Map<String, Object> values = with("bearer-token", "t0k3n");
        values.put("basic-auth", Map.of("username", "alice", "password", "s3cret"));

        assertInvalid(values, "metrics.prom.basic-auth", "not both");
    }

    @Test
    void basicAuthNeedsBothParts() {
        assertInvalid(with("basic-auth", Map.of("username", "alice")), "metrics.prom.basic-auth.password", "required");
        assertInvalid(with("basic-auth", Map.of("user", "alice")), "metrics.prom.basic-auth.user", "valid keys are [password, username]");
    }

    @Test
    void anAuthorizationHeaderConflictsWithAuthKeys() {
        Map<String, Object> values = with("bearer-token", "t0k3n");
        values.put("headers", Map.of("Authorization", "Bearer other"));

        assertInvalid(values, "metrics.prom.headers.Authorization", "conflicts");
    }

    @Test
    void aHeaderTheHttpClientCannotSendIsRejected() {
        assertInvalid(with("headers", Map.of("Host", "elsewhere")), "metrics.prom.headers.Host", "cannot be sent");
    }

    @Test
    void tlsNeedsAnHttpsUrl() {
        Map<String, Object> values = new LinkedHashMap<>(Map.of("url", "http://127.0.0.1:9090"));
        values.put("tls", Map.of("insecure-skip-verify", true));

        assertInvalid(values, "metrics.prom.tls", "not https");
    }

    @Test
    void aMissingCaFileIsNamed() {
        assertInvalid(with("tls", Map.of("ca-file", "/no/such/ca.pem")), "metrics.prom.tls.ca-file", "/no/such/ca.pem");
    }

    @Test
    void aCaFileWithoutCertificatesIsRejected(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");

        assertInvalid(with("tls", Map.of("ca-file", empty.toString())), "metrics.prom.tls.ca-file");
    }

    @Test
    void caFileAndInsecureSkipVerifyExcludeEachOther() {
        assertInvalid(with("tls", Map.of("ca-file", "/x.pem", "insecure-skip-verify", true)),
                "metrics.prom.tls.insecure-skip-verify", "not both");
    }

    @Test
    void retriesAreBounded() {
        assertInvalid(with("retries", Map.of("max-attempts", 0)), "metrics.prom.retries.max-attempts", "at least 1");
        assertInvalid(with("retries", Map.of("backoff", "0s")), "metrics.prom.retries.backoff", "at least 1ms");
        assertInvalid(with("retries", Map.of("attempts", 2)), "metrics.prom.retries.attempts", "valid keys are [backoff, max-attempts]");
    }

    @Test
    void secretsStayOutOfToString() {
        Map<String, Object> values = with("bearer-token", "t0k3n");
        values.put("headers", Map.of("X-Api-Key", "k3y"));

        assertThat(read(values).toString()).doesNotContain("t0k3n", "k3y").contains("X-Api-Key", "https://prom.example:9090");
    }
}
