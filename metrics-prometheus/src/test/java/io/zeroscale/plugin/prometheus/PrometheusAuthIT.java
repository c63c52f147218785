package io.zeroscale.plugin.prometheus;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.testkit.PrometheusPeer;
import io.zeroscale.testkit.TestPluginContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Prometheus serving TLS with basic auth (its --web.config.file). */
class PrometheusAuthIT {
    private static final Duration WINDOW = Duration.ofMinutes(5);
    private static final SignalValue KNOWN = SignalValue.known(TestData.KNOWN_VALUE, TestData.NOW);
    // bcrypt of "s3cret"; Prometheus accepts only bcrypt hashes for basic auth users.
    private static final String ALICE_HASH = "$2b$10$abcdefghijklmnopqrstuu3KWNuWLhBnmgYfnzONPueahDuedC/lu";

    @TempDir
    static Path home;

    private static PrometheusPeer server;
    private static Path caFile;
    private static Path otherCaFile;

    @BeforeAll
    static void startPrometheus() throws IOException {
        caFile = copy("tls/cert.pem");
        Path key = copy("tls/key.pem");
        otherCaFile = copy("tls/other-ca.pem");
        Path webConfig = home.resolve("web.yml");
        Files.writeString(webConfig, "tls_server_config:\n  cert_file: " + caFile + "\n  key_file: " + key + "\n"
                + "basic_auth_users:\n  alice: " + ALICE_HASH + "\n", UTF_8);
        server = PrometheusPeer.backfilled(home.resolve("server"), TestData.openMetrics(), webConfig);
    }

    @AfterAll
    static void stopPrometheus() {
        server.close();
    }

    private static Path copy(String resource) throws IOException {
        try (InputStream in = Objects.requireNonNull(PrometheusAuthIT.class.getResourceAsStream("/" + resource), resource)) {
            Path target = home.resolve(Path.of(resource).getFileName());
            Files.copy(in, target);
            return target;
        }
    }

    private static SignalValue query(Map<String, Object> config) {
        Map<String, Object> values = new LinkedHashMap<>(config);
        values.put("url", server.url("https"));
        values.put("retries", Map.of("max-attempts", 1));
        // The first TLS handshake of the JVM can take seconds on a loaded machine; timeouts are tested elsewhere.
        values.put("timeout", "30s");
        MetricSource source = new PrometheusMetricSourceFactory().create("prom", TestData.sourceConfig(values),
                TestPluginContext.at(TestData.NOW));
        try (source) {
            SignalValue value = source.query(TestData.query(TestData.KNOWN_QUERY), WINDOW);
            return value;
        }
    }

    private static Map<String, Object> alice(String password) {
        return Map.of("username", "alice", "password", password);
    }

    @Test
    void theServersCaAndTheRightPasswordGiveTheValue() {
        assertThat(query(Map.of("tls", Map.of("ca-file", caFile.toString()), "basic-auth", alice("s3cret"))))
                .isEqualTo(KNOWN);
    }

    @Test
    void aWrongPasswordIsUnknownWithTheServersAnswer() {
        SignalValue value = query(Map.of("tls", Map.of("ca-file", caFile.toString()), "basic-auth", alice("wrong")));

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains(server.url("https"), "401", "Unauthorized");
    }

    @Test
    void noCredentialsIsUnknown() {
        SignalValue value = query(Map.of("tls", Map.of("ca-file", caFile.toString())));

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains("401");
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() {
        SignalValue value = query(Map.of("tls", Map.of("ca-file", otherCaFile.toString()), "basic-auth", alice("s3cret")));

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains(server.url("https"), "TLS handshake failed");
    }

    @Test
    void theJdksDefaultTrustRefusesTheSelfSignedCertificate() {
        SignalValue value = query(Map.of("basic-auth", alice("s3cret")));

        assertThat(value).isInstanceOf(SignalValue.Unknown.class);
        assertThat(((SignalValue.Unknown) value).reason()).contains(server.url("https"), "TLS handshake failed");
    }

    @Test
    void insecureSkipVerifyAcceptsAnyCertificate() {
        assertThat(query(Map.of("tls", Map.of("insecure-skip-verify", true), "basic-auth", alice("s3cret"))))
                .isEqualTo(KNOWN);
    }
}
