package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestChecksTest {

    private static String normalized(String uri) {
        RequestChecks.Target target = RequestChecks.normalize(uri);
        assertThat(target.problem()).as(uri).isNull();
        return target.uri();
    }

    @Test
    void plainPathsAreReturnedAsTheyAre() {
        String uri = "/api/v1/items?x=/../y";
        assertThat(RequestChecks.normalize(uri).uri()).isSameAs(uri);
        assertThat(normalized("/")).isEqualTo("/");
        assertThat(normalized("/.well-known/x")).isEqualTo("/.well-known/x");
        assertThat(normalized("/a%20b")).isEqualTo("/a%20b");
    }

    @Test
    void dotSegmentsAndRepeatedSlashesAreResolved() {
        assertThat(normalized("/a/../b")).isEqualTo("/b");
        assertThat(normalized("/a/./b/")).isEqualTo("/a/b/");
        assertThat(normalized("/../../etc/passwd")).isEqualTo("/etc/passwd");
        assertThat(normalized("/a/b/..")).isEqualTo("/a/");
        assertThat(normalized("/a/.")).isEqualTo("/a/");
        assertThat(normalized("//a///b")).isEqualTo("/a/b");
        assertThat(normalized("/api/%2e%2E/admin?q=1")).isEqualTo("/admin?q=1");
        assertThat(normalized("/a/..%2e/b")).isEqualTo("/a/.../b");
    }

    @Test
    void encodedSlashesAndBadEscapesAreRefused() {
        assertThat(RequestChecks.normalize("/a%2Fb").problem()).contains("encoded slash");
        assertThat(RequestChecks.normalize("/a%2fb").problem()).contains("encoded slash");
        assertThat(RequestChecks.normalize("/a%5Cb").problem()).contains("encoded slash");
        assertThat(RequestChecks.normalize("/a%zz").problem()).contains("percent-escape");
        assertThat(RequestChecks.normalize("/a%2").problem()).contains("percent-escape");
        assertThat(RequestChecks.normalize("/a?%2F").problem()).as("the query is not the path").isNull();
    }
}
