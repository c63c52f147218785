package io.zeroscale.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Prometheus behind the fixture (an integration test: it needs the binary): backfilled
 * samples are served, a stop and start keeps port and data, and a missing binary fails with the
 * command that installs it instead of skipping.
 */
class PrometheusPeerIT {
    @Test
    void aBackfilledSampleIsServedAndSurvivesARestart(@TempDir Path home) throws Exception {
        long at = Instant.now().minusSeconds(3600).getEpochSecond();
        String openMetrics = "# TYPE zeroscale_peer_test gauge\nzeroscale_peer_test 42 " + at + "\n# EOF\n";
        try (PrometheusPeer prometheus = PrometheusPeer.backfilled(home, openMetrics, null);
                HttpClient client = HttpClient.newHttpClient()) {
            URI query = URI.create(prometheus.url() + "/api/v1/query?query=zeroscale_peer_test&time=" + at);
            assertThat(client.send(HttpRequest.newBuilder(query).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .contains("\"status\":\"success\"", "\"42\"");

            int port = prometheus.port();
            prometheus.stop();
            prometheus.start();
            assertThat(prometheus.port()).isEqualTo(port);
            assertThat(client.send(HttpRequest.newBuilder(query).build(), HttpResponse.BodyHandlers.ofString()).body())
                    .contains("\"42\"");
        }
    }

    @Test
    void aMissingBinaryFailsWithTheInstallCommand() {
        assertThatThrownBy(() -> PrometheusPeer.binary("zeroscale-no-such-prometheus"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("'zeroscale-no-such-prometheus' is not on PATH")
                .hasMessageContaining("install it with: apt-get install -y prometheus");
    }
}
