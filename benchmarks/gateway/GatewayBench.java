import io.zeroscale.gateway.Gateway;
import io.zeroscale.gateway.GatewayConfig;
import io.zeroscale.gateway.GatewayRoute;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.spi.traffic.TrafficHub;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the gateway in front of one fixed backend, for load tests: a hub that always answers with a
 * FORWARD route to the backend and ignores reports. Usage: GatewayBench LISTEN_PORT BACKEND_HOST:PORT
 */
public final class GatewayBench {
    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        Endpoint backend = Endpoint.parse(args[1]);
        TargetRef target = TargetRef.of("bench", "Static", "backend");
        Route route = new Route(Routing.FORWARD, List.of(backend), List.of());
        TrafficHub hub = new TrafficHub() {
            @Override
            public void report(String gateway, TargetRef t, RequestStats stats) {}

            @Override
            public void drained(String gateway, TargetRef t, List<Endpoint> endpoints) {}

            @Override
            public void endpointRefused(String gateway, TargetRef t, Endpoint endpoint, String reason) {}

            @Override
            public void heartbeat(String gateway) {}

            @Override
            public void left(String gateway) {}

            @Override
            public Subscription subscribe(RouteListener listener) {
                listener.onRoute(target, route);
                return Subscription.NONE;
            }
        };
        Gateway gateway = Gateway.builder(hub)
                .config(GatewayConfig.builder().listen("127.0.0.1", port).build())
                .route(GatewayRoute.path(target, "/"))
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close));
        System.out.println("gateway ready on " + gateway.port());
        new CountDownLatch(1).await();
    }
}
