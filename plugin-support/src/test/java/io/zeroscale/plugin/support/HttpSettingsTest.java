package io.zeroscale.plugin.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shared keys, read directly; each plugin's config test covers them through the plugin too. */
class HttpSettingsTest {
    private static HttpSettings read(Map<String, ?> values, Set<String> reserved) {
        return HttpSettings.read(Config.of("metrics.src", values), reserved, "http://127.0.0.1:1234");
    }

    @Test
    void aPathPrefixIsKeptWithoutTrailingSlashes() {
        assertThat(read(Map.of("url", " https://host.example/prefix// "), Set.of()).url())
                .isEqualTo(URI.create("https://host.example/prefix"));
    }

    @Test
    void aBadUrlShowsTheSourcesExample() {
        assertThatThrownBy(() -> read(Map.of("url", "host.example:1234"), Set.of()))
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID))
                .hasMessageContaining("metrics.src.url")
                .hasMessageContaining("e.g. http://127.0.0.1:1234");
    }

    @Test
    void aReservedHeaderIsRejectedWhateverItsCase() {
        assertThatThrownBy(() -> read(Map.of("url", "http://h", "headers", Map.of("X-Tenant", "a")), Set.of("x-tenant")))
                .hasMessageContaining("metrics.src.headers.X-Tenant")
                .hasMessageContaining("set by the source itself");
    }

    @Test
    void withHeaderAddsToTheConfiguredHeaders() {
        HttpSettings settings = read(Map.of("url", "http://h", "headers", Map.of("X-Team", "search")), Set.of())
                .withHeader("X-Tenant", "a");

        assertThat(settings.headers()).containsOnly(Map.entry("X-Team", "search"), Map.entry("X-Tenant", "a"));
    }

    @Test
    void toStringHidesTheSecrets() {
        HttpSettings token = read(Map.of("url", "http://h", "bearer-token", "t0k3n"), Set.of());
        HttpSettings basic = read(Map.of("url", "http://h", "basic-auth", Map.of("username", "alice", "password", "s3cret")),
                Set.of());

        assertThat(token.toString()).doesNotContain("t0k3n").contains("bearerToken=***");
        assertThat(basic.toString()).doesNotContain("s3cret").contains("basicAuth=alice:***");
    }
}
