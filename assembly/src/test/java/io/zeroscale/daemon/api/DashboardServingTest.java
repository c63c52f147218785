package io.zeroscale.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's files and its browser session on a daemon with an API token: the token is
 * exchanged for an HttpOnly, SameSite=Strict cookie, the cookie opens the event stream, and a
 * state-changing request with the cookie needs the session's CSRF token.
 */
class DashboardServingTest {
    private static final String TOKEN = "dashboard-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path data;

    private static ApiTestDaemon api;

    @BeforeAll
    static void start() {
        api = ApiTestDaemon.start(data, ", token: \"${API_TOKEN}\"", Map.of("API_TOKEN", TOKEN));
    }

    @AfterAll
    static void stop() {
        api.stop();
    }

    private static HttpResponse<String> send(String method, String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base() + path)).timeout(Duration.ofSeconds(10))
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        if (!body.isEmpty()) {
            request.header("Content-Type", "application/json");
        }
        return api.client().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePageAndItsFilesAreServedWithoutATokenUnderAStrictPolicy() throws Exception {
        HttpResponse<String> page = send("GET", "/dashboard", "", Map.of());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(Dashboard.CONTENT_SECURITY_POLICY);
        assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(page.body()).contains("<script src=\"/dashboard/app.js\" defer></script>")
                // Nothing from elsewhere: no absolute URL in any file.
                .doesNotContain("http://", "https://", "//cdn");
        for (String asset : new String[] {"app.js", "app.css", "charts.js", "forecast.js", "forecast.css"}) {
            HttpResponse<String> file = send("GET", "/dashboard/" + asset, "", Map.of());
            assertThat(file.statusCode()).as(asset).isEqualTo(200);
            // The SVG namespace (the state diagram's elements) is a name, never fetched.
            assertThat(file.body().replace("'http://www.w3.org/2000/svg'", "")).as(asset).doesNotContain("http://", "https://");
        }
        assertThat(send("GET", "/dashboard/app.js", "", Map.of()).headers().firstValue("Content-Type"))
                .hasValue("text/javascript; charset=utf-8");
        // The chart library comes from its WebJar, served by the daemon like the page's own files.
        HttpResponse<String> uplot = send("GET", "/dashboard/uplot.js", "", Map.of());
        assertThat(uplot.statusCode()).isEqualTo(200);
        assertThat(uplot.body()).contains("uPlot");
        assertThat(send("GET", "/dashboard/uplot.css", "", Map.of()).body()).contains(".uplot");
        // So does the state diagram's layout library, dagre (its bundle, with graphlib).
        assertThat(page.body()).contains("<script src=\"/dashboard/dagre.js\" defer></script>");
        HttpResponse<String> dagre = send("GET", "/dashboard/dagre.js", "", Map.of());
        assertThat(dagre.statusCode()).isEqualTo(200);
        assertThat(dagre.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(dagre.body()).contains("dagre", "graphlib");
        HttpResponse<String> other = send("GET", "/dashboard/..%2Fopenapi.json", "", Map.of());
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(other.body()).path("message").asText())
                .isEqualTo("no dashboard file '../openapi.json'; the dashboard is at /dashboard");
    }

    @Test
    void theTokenIsExchangedForASessionCookieAndChangesNeedTheCsrfToken() throws Exception {
        assertThat(send("GET", "/events", "", Map.of()).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/session", "{}", Map.of()).statusCode()).isEqualTo(401);

        HttpResponse<String> signIn = send("POST", "/session", "{}", Map.of("Authorization", "Bearer " + TOKEN));
        assertThat(signIn.statusCode()).isEqualTo(200);
        String setCookie = signIn.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith(Sessions.COOKIE + "=").contains("; HttpOnly", "; SameSite=Strict", "; Path=/");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        String csrf = JSON.readTree(signIn.body()).path("csrf").asText();
        assertThat(csrf).hasSizeGreaterThan(20);

        JsonNode session = JSON.readTree(send("GET", "/session", "", Map.of("Cookie", cookie)).body());
        assertThat(session.path("csrf").asText()).isEqualTo(csrf);
        assertThat(send("GET", "/targets", "", Map.of("Cookie", cookie)).statusCode()).isEqualTo(200);
        // The cookie opens the event stream, which an EventSource cannot send a header to.
        HttpResponse<InputStream> stream = api.client().send(HttpRequest.newBuilder(URI.create(api.base() + "/events")).header("Cookie", cookie).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        stream.body().close();

        HttpResponse<String> forged = send("POST", "/targets/hello/automation", "{\"action\":\"pause\"}", Map.of("Cookie", cookie));
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(forged.body()).path("message").asText())
                .isEqualTo("POST with a session cookie needs the session's CSRF token in X-CSRF-Token (GET /session returns it)");
        assertThat(send("POST", "/targets/hello/automation", "{\"action\":\"pause\"}",
                Map.of("Cookie", cookie, "X-CSRF-Token", "wrong")).statusCode()).isEqualTo(403);
        assertThat(send("POST", "/targets/hello/automation", "{\"action\":\"pause\"}",
                Map.of("Cookie", cookie, "X-CSRF-Token", csrf)).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/targets/hello/automation", "{\"action\":\"resume\"}",
                Map.of("Cookie", cookie, "X-CSRF-Token", csrf)).statusCode()).isEqualTo(200);

        HttpResponse<String> signOut = send("DELETE", "/session", "", Map.of("Cookie", cookie, "X-CSRF-Token", csrf));
        assertThat(signOut.statusCode()).isEqualTo(200);
        assertThat(signOut.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        assertThat(send("GET", "/targets", "", Map.of("Cookie", cookie)).statusCode()).isEqualTo(401);
    }

    @Test
    void aTargetsSeriesHoldsItsReplicasForTheCharts() throws Exception {
        Map<String, String> auth = Map.of("Authorization", "Bearer " + TOKEN);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                JSON.readTree(send("GET", "/targets/hello/series", "", auth).body()).path("points").size() >= 1);
        JsonNode series = JSON.readTree(send("GET", "/targets/hello/series", "", auth).body());
        assertThat(series.path("target").asText()).isEqualTo("hello");
        assertThat(series.path("maxPoints").asInt()).isEqualTo(TargetSeries.MAX_POINTS);
        JsonNode first = series.path("points").get(0);
        assertThat(first.path("desired").asInt()).isZero();
        assertThat(first.path("ready").asInt()).isZero();
        assertThat(first.has("at")).isTrue();
        assertThat(first.path("signals").isObject()).isTrue();
        HttpResponse<String> unknown = send("GET", "/targets/nope/series", "", auth);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).path("message").asText()).isEqualTo("no target named 'nope'");
    }
}
