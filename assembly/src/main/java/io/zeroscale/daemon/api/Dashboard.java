package io.zeroscale.daemon.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's static files ({@code GET /dashboard}, {@code GET /dashboard/{asset}}), packaged
 * in the daemon's jar and read once: nothing is fetched from anywhere else at run time. They
 * carry no data (the page reads the API), so they are served without a token; the page then
 * signs in (see {@link Sessions}) when the daemon has one.
 */
public final class Dashboard {
    private static final String RESOURCES = "/io/zeroscale/daemon/dashboard/";
    /** Every asset and its type; any other name is a 404, so no path ever reaches the class path. */
    private static final Map<String, String> ASSETS = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8",
            "forecast.js", "text/javascript; charset=utf-8",
            "forecast.css", "text/css; charset=utf-8",
            "charts.js", "text/javascript; charset=utf-8",
            "uplot.js", "text/javascript; charset=utf-8",
            "uplot.css", "text/css; charset=utf-8",
            "dagre.js", "text/javascript; charset=utf-8");
    /**
     * The libraries' files, each from its WebJar (a versioned Maven dependency): the chart library,
     * uPlot, and the state diagram's graph layout, dagre (its browser bundle, graphlib included).
     */
    private static final Map<String, WebJarFile> WEBJAR_FILES = Map.of(
            "uplot.js", new WebJarFile("uplot", "dist/uPlot.iife.min.js"),
            "uplot.css", new WebJarFile("uplot", "dist/uPlot.min.css"),
            "dagre.js", new WebJarFile("dagre", "dist/dagre.min.js"));

    /** A file inside the WebJar {@code org.webjars.npm:<artifact>}, at {@code path} under its versioned folder. */
    private record WebJarFile(String artifact, String path) {}
    /**
     * Only this origin's own files, no inline script or style, no framing, no form posts: a value
     * the daemon echoes that slipped into the page still could not run.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Map<String, byte[]> files = new LinkedHashMap<>();

    Dashboard() {
        ASSETS.keySet().forEach(name -> files.put(name, read(name)));
    }

    /**
     * One of the dashboard's files as it serves them ({@code uplot.js}, {@code charts.js}, ...), for
     * pages drawn outside the daemon ({@code zeroscale simulate --out}).
     *
     * @throws IllegalArgumentException for a name that is not a dashboard file
     */
    public static byte[] file(String name) {
        if (!ASSETS.containsKey(name)) {
            throw new IllegalArgumentException("no dashboard file '" + name + "'");
        }
        return read(name);
    }

    private static byte[] read(String name) {
        WebJarFile inWebJar = WEBJAR_FILES.get(name);
        String resource = inWebJar == null
                ? RESOURCES + name
                : "/META-INF/resources/webjars/" + inWebJar.artifact() + "/" + webJarVersion(inWebJar.artifact()) + "/" + inWebJar.path();
        try (InputStream in = Dashboard.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("dashboard file " + name + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dashboard file " + name, e);
        }
    }

    /** The version of a WebJar on the class path, from its Maven metadata. */
    private static String webJarVersion(String artifact) {
        String pom = "/META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
        try (InputStream in = Dashboard.class.getResourceAsStream(pom)) {
            if (in == null) {
                throw new IllegalStateException("the WebJar org.webjars.npm:" + artifact + " is missing from the class path (" + pom + ")");
            }
            java.util.Properties properties = new java.util.Properties();
            properties.load(in);
            String version = properties.getProperty("version");
            if (version == null) {
                throw new IllegalStateException(pom + " names no version");
            }
            return version;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pom, e);
        }
    }

    List<ApiRoute> routes() {
        return List.of(
                new ApiRoute("GET", "/dashboard", true, request -> asset("index.html")),
                new ApiRoute("GET", "/dashboard/{asset}", true, request -> asset(request.pathParameter("asset"))));
    }

    private ApiResponse asset(String name) {
        byte[] body = files.get(name);
        String type = ASSETS.get(name);
        if (body == null || type == null) {
            throw ApiException.notFound("no dashboard file '" + name + "'; the dashboard is at /dashboard");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("X-Frame-Options", "DENY");
        headers.put("Referrer-Policy", "no-referrer");
        // Revalidated on every load: a new daemon version's page never runs an old script.
        headers.put("Cache-Control", "no-cache");
        return new ApiResponse(200, type, body.clone(), headers);
    }
}
