package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.testkit.TestPluginContext;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replica channel on the real API server: two daemons' traffic hubs over one Lease. The
 * follower's gateway calls reach the leader's engine, the leader's routes (a drain among them)
 * reach the follower's gateway, and its drained report goes back with the drain's id; callers are
 * proven with ServiceAccount tokens through TokenReview (none or a bad one: 401; another
 * namespace's ServiceAccount: 403; a follower asked: 421 naming the leader). When the leader dies
 * the follower's gateway is routed by its own engine at once, and once the Lease names the follower
 * it forwards nothing.
 */
class KubernetesTrafficHubIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String HEARTBEAT = "{\"call\":\"heartbeat\",\"gateway\":\"probe\"}";

    @TempDir
    Path data;

    @Test
    void followerReportsToTheLeaderAndIsRoutedByIt() throws Exception {
        KubernetesClient admin = ControlPlane.client();
        String namespace = ControlPlane.namespace("hub");
        String other = ControlPlane.namespace("hub-other");
        Path tokenFile = Files.writeString(data.resolve("token"), token(admin, namespace, "zeroscale"));
        String stranger = token(admin, other, "stranger");
        int portA = freePort();
        int portB = freePort();
        String a = "a@127.0.0.1:" + portA;
        String b = "b@127.0.0.1:" + portB;
        TargetRef web = new TargetRef(ControlPlane.ORCHESTRATOR, "Deployment", namespace, "web");
        Endpoint first = new Endpoint("10.0.0.1", 8080);
        Endpoint second = new Endpoint("10.0.0.2", 8080);
        Endpoint own = new Endpoint("10.0.0.3", 8080);
        RecordingHub engineA = new RecordingHub();
        RecordingHub engineB = new RecordingHub();
        engineA.publish(web, Route.hold());
        engineB.publish(web, Route.hold());
        admin.resources(Lease.class).inNamespace(namespace).resource(new LeaseBuilder().withNewMetadata().withName("zeroscale")
                .endMetadata().withNewSpec().withHolderIdentity(a).endSpec().build()).create();

        try (TestPluginContext context = TestPluginContext.realTime(data.resolve("ctx"));
                KubernetesTrafficHub hubB = hub(context, namespace, b, portB, tokenFile, engineB)) {
            RecordingHub.Gateway gatewayB = new RecordingHub.Gateway();
            hubB.subscribe(gatewayB);
            KubernetesTrafficHub hubA = hub(context, namespace, a, portA, tokenFile, engineA);
            try {
                await("both follow the Lease").atMost(TIMEOUT).until(() -> hubA.leading() && a.equals(hubB.holder()));
                await("the follower routed by the leader").atMost(TIMEOUT).until(hubB::fromLeader);

                // The follower's gateway reaches both engines; the leader's reaches only its own.
                hubB.report("gw-b", web, new RequestStats(2, 0, 2, 0, 0));
                hubA.report("gw-a", web, new RequestStats(1, 0, 1, 0, 0));
                await("the follower's report at the leader").atMost(TIMEOUT)
                        .until(() -> engineA.calls.contains("report gw-b web held=2 inFlight=0"));
                assertThat(engineB.calls).contains("report gw-b web held=2 inFlight=0");

                // The leader drains: the follower's gateway drains too and reports it with the drain's id.
                engineB.publish(web, new Route(Routing.FORWARD, List.of(own), List.of()));
                engineA.publish(web, new Route(Routing.FORWARD, List.of(second), List.of(first), null, 7));
                await("the leader's drain at the follower's gateway").atMost(TIMEOUT).until(() -> {
                    Route route = gatewayB.route(web);
                    return route != null && route.drain() == 7 && route.draining().equals(List.of(first));
                });
                hubB.drained("gw-b", web, 7, List.of(first));
                await("the drained report at the leader").atMost(TIMEOUT)
                        .until(() -> engineA.calls.contains("drained gw-b web drain=7 [" + first + "]"));

                // Callers are proven.
                assertThat(RecordingHub.call(hubA.address(), null, HEARTBEAT).statusCode()).isEqualTo(401);
                HttpResponse<String> forged = RecordingHub.call(hubA.address(), "not-a-token", HEARTBEAT);
                assertThat(forged.statusCode()).as(forged.body()).isEqualTo(401);
                HttpResponse<String> foreign = RecordingHub.call(hubA.address(), stranger, HEARTBEAT);
                assertThat(foreign.statusCode()).as(foreign.body()).isEqualTo(403);
                assertThat(foreign.body()).contains("system:serviceaccount:" + other + ":stranger");
                HttpResponse<String> follower = RecordingHub.call(hubB.address(), Files.readString(tokenFile), HEARTBEAT);
                assertThat(follower.statusCode()).as(follower.body()).isEqualTo(421);
                assertThat(follower.body()).contains(a);
                assertThat(RecordingHub.call(hubA.address(), Files.readString(tokenFile), HEARTBEAT).statusCode()).isEqualTo(204);
                assertThat(engineA.calls).contains("heartbeat probe");
            } finally {
                hubA.close();
            }

            // The leader is gone: the follower's gateway is routed by its own engine at once.
            await("the follower's own routes").atMost(TIMEOUT).until(() -> !hubB.fromLeader()
                    && new Route(Routing.FORWARD, List.of(own), List.of()).equals(gatewayB.route(web)));

            // The Lease names the follower: it leads and forwards nothing.
            admin.resources(Lease.class).inNamespace(namespace).withName("zeroscale")
                    .edit(lease -> new LeaseBuilder(lease).editSpec().withHolderIdentity(b).endSpec().build());
            await("the follower leads").atMost(TIMEOUT).until(hubB::leading);
            hubB.report("gw-b", web, new RequestStats(0, 0, 2, 2, 0.1));
            assertThat(engineB.calls).contains("report gw-b web held=0 inFlight=0");
            assertThat(engineB.calls).noneMatch(call -> call.contains("gw-a"));
        }
    }

    private static KubernetesTrafficHub hub(TestPluginContext context, String namespace, String identity, int port, Path tokenFile,
            RecordingHub local) {
        return (KubernetesTrafficHub) new KubernetesTrafficHubFactory().create(Config.of("traffic.hub", Map.of(
                "kubeconfig", ControlPlane.peer().kubeconfig().toString(), "namespace", namespace, "identity", identity,
                "listen", "127.0.0.1:" + port, "token-file", tokenFile.toString())), context, local);
    }

    static String token(KubernetesClient admin, String namespace, String account) {
        if (admin.serviceAccounts().inNamespace(namespace).withName(account).get() == null) {
            admin.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder().withNewMetadata().withName(account)
                    .endMetadata().build()).create();
        }
        return admin.serviceAccounts().inNamespace(namespace).withName(account)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
                .getStatus().getToken();
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
