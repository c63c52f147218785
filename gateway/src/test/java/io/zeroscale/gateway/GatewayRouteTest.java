package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.TargetRef;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayRouteTest {
    private static final TargetRef WEB = TargetRef.of("k8s", "Deployment", "web");
    private static final TargetRef API = TargetRef.of("k8s", "Deployment", "api");
    private static final TargetRef ADMIN = TargetRef.of("k8s", "Deployment", "admin");

    private final Router router = new Router(List.of(
            GatewayRoute.path(WEB, "/"),
            GatewayRoute.path(API, "/api"),
            new GatewayRoute(ADMIN, "Admin.Example.com:443", "/"),
            new GatewayRoute(API, "admin.example.com", "/api/v2/")));

    private TargetRef route(String host, String path) {
        GatewayRoute route = router.route(Hosts.normalize(host), path);
        return route == null ? null : route.target();
    }

    @Test
    void theLongestMatchingPrefixWinsAtSegmentBoundaries() {
        assertThat(route(null, "/")).isEqualTo(WEB);
        assertThat(route("any", "/api")).isEqualTo(API);
        assertThat(route("any", "/api/users?id=1")).isEqualTo(API);
        assertThat(route("any", "/api?x=1")).isEqualTo(API);
        assertThat(route("any", "/apix")).isEqualTo(WEB);
    }

    @Test
    void hostsMatchIgnoringCaseAndPortAndBeatCatchAllsOfTheSameLength() {
        assertThat(route("admin.example.com", "/")).isEqualTo(ADMIN);
        assertThat(route("ADMIN.example.com:8080", "/x")).isEqualTo(ADMIN);
        assertThat(route("admin.example.com", "/api/v2/things")).isEqualTo(API);
        assertThat(route("admin.example.com", "/api")).isEqualTo(API);
        assertThat(route("other.example.com", "/x")).isEqualTo(WEB);
    }

    @Test
    void withoutACatchAllAnUnmatchedRequestHasNoRoute() {
        Router hostOnly = new Router(List.of(GatewayRoute.host(WEB, "web.example")));
        assertThat(hostOnly.route("api.example", "/")).isNull();
        assertThat(hostOnly.route(null, "/")).isNull();
        assertThat(hostOnly.route("web.example", "/anything")).isNotNull();
    }

    @Test
    void hostsAreNormalized() {
        assertThat(Hosts.normalize("[::1]:8080")).isEqualTo("[::1]");
        assertThat(Hosts.normalize("Example.COM")).isEqualTo("example.com");
        assertThat(Hosts.normalize("  ")).isNull();
        assertThat(new GatewayRoute(WEB, "Web.Example:80", "/").host()).isEqualTo("web.example");
        assertThat(new GatewayRoute(WEB, " ", "/").host()).isNull();
    }

    @Test
    void aPrefixMustBeAPath() {
        assertThatThrownBy(() -> GatewayRoute.path(WEB, "api")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must start with '/'");
    }
}
