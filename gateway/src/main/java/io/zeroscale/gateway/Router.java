package io.zeroscale.gateway;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Finds the route of a request: longest matching path prefix, a host-specific route before a catch-all. */
final class Router {
    private final List<GatewayRoute> routes;

    Router(List<GatewayRoute> routes) {
        List<GatewayRoute> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparingInt((GatewayRoute route) -> route.pathPrefix().length())
                .reversed()
                .thenComparing(route -> route.host() == null));
        this.routes = List.copyOf(sorted);
    }

    /** The route for {@code host} (normalized, see {@link Hosts#normalize}) and {@code path}, or null. */
    @Nullable GatewayRoute route(@Nullable String host, String path) {
        for (GatewayRoute route : routes) {
            if (route.matches(host, path)) {
                return route;
            }
        }
        return null;
    }
}
