package io.zeroscale.plugin.k8s;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.TrafficHub;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A daemon's local engine as the traffic hub sees it: records every call it gets (as one line
 * each) and publishes the routes a test gives it.
 */
final class RecordingHub implements TrafficHub {
    final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<RouteListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<TargetRef, Route> routes = new ConcurrentHashMap<>();

    @Override
    public void report(String gateway, TargetRef target, RequestStats stats) {
        calls.add("report " + gateway + " " + target.name() + " held=" + stats.held() + " inFlight=" + stats.inFlight());
    }

    @Override
    public void drained(String gateway, TargetRef target, List<Endpoint> endpoints) {
        drained(gateway, target, 0, endpoints);
    }

    @Override
    public void drained(String gateway, TargetRef target, long drain, List<Endpoint> endpoints) {
        calls.add("drained " + gateway + " " + target.name() + " drain=" + drain + " " + endpoints);
    }

    @Override
    public void endpointRefused(String gateway, TargetRef target, Endpoint endpoint, String reason) {
        calls.add("refused " + gateway + " " + target.name() + " " + endpoint);
    }

    @Override
    public void heartbeat(String gateway) {
        calls.add("heartbeat " + gateway);
    }

    @Override
    public void left(String gateway) {
        calls.add("left " + gateway);
    }

    @Override
    public Subscription subscribe(RouteListener listener) {
        routes.forEach(listener::onRoute);
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** The engine publishes {@code route} for {@code target}. */
    void publish(TargetRef target, Route route) {
        routes.put(target, route);
        listeners.forEach(listener -> listener.onRoute(target, route));
    }

    /** Routes as a gateway receives them: the newest per target. */
    static final class Gateway implements RouteListener {
        final Map<TargetRef, Route> routes = new ConcurrentHashMap<>();
        final List<String> failed = new CopyOnWriteArrayList<>();

        @Override
        public void onRoute(TargetRef target, Route route) {
            routes.put(target, route);
        }

        @Override
        public void onFailHeld(TargetRef target, int status, String reason) {
            failed.add(target.name() + " " + status + " " + reason);
        }

        @Nullable Route route(TargetRef target) {
            return routes.get(target);
        }
    }

    /** One call on a replica channel at {@code address}, with {@code token} (none when null). */
    static HttpResponse<String> call(InetSocketAddress address, @Nullable String token, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + HubWire.CALLS))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
