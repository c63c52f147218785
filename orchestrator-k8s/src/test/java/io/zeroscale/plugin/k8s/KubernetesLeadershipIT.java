package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two daemons' {@code leadership: {type: kubernetes}} over one Lease on the real API server: one
 * leads and the Lease names it; when it dies (its API connection gone, the Lease not released) the
 * other takes over once the Lease expired, and the two never lead at the same moment; when it stops
 * (close releases the Lease) the other takes over without waiting for the expiry.
 */
class KubernetesLeadershipIT {
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final Duration RENEW = Duration.ofMillis(2500);
    private static final Duration RETRY = Duration.ofMillis(500);

    @TempDir
    Path data;
    private TestPluginContext context;
    private String namespace;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeEach
    void setUp() {
        namespace = ControlPlane.namespace("leadership");
        context = TestPluginContext.realTime(data);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : opened) {
            c.close();
        }
        context.close();
    }

    private Map<String, Object> config(String identity) {
        Map<String, Object> values = new HashMap<>();
        values.put("type", "kubernetes");
        values.put("kubeconfig", ControlPlane.peer().kubeconfig().toString());
        values.put("namespace", namespace);
        values.put("identity", identity);
        values.put("lease-duration", LEASE.toMillis() + "ms");
        values.put("renew-deadline", RENEW.toMillis() + "ms");
        values.put("retry-period", RETRY.toMillis() + "ms");
        return values;
    }

    /** A daemon's leadership over its own client, which the test can cut like a crash. */
    private KubernetesLeadership daemon(String identity, KubernetesClient own) {
        LeadershipSettings settings = LeadershipSettings.parse(Config.of("leadership", config(identity)), Map.of(),
                client -> namespace);
        KubernetesLeadership leadership = new KubernetesLeadership(own, settings, context.blockingExecutor(),
                context.scheduler().clock());
        opened.add(leadership);
        leadership.start();
        return leadership;
    }

    private static KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(null,
                ControlPlane.peer().kubeconfig().toFile())).build();
    }

    private String holder() {
        Lease lease = ControlPlane.client().resources(Lease.class).inNamespace(namespace).withName("zeroscale").get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    @Test
    void oneLeadsAndWhenItDiesTheOtherTakesOverAfterTheLeaseExpiredNeverBothAtOnce() {
        KubernetesClient aClient = newClient();
        KubernetesLeadership a = daemon("daemon-a", aClient);
        await("daemon-a leads").atMost(Duration.ofSeconds(30)).until(a::isLeader);
        KubernetesLeadership b = daemon("daemon-b", newClient());
        AtomicInteger bNotified = new AtomicInteger();
        b.subscribe(bNotified::incrementAndGet);
        assertThat(holder()).isEqualTo("daemon-a");

        // At every change of either: never both leading (an overlap starts at such a change).
        AtomicBoolean both = new AtomicBoolean();
        Runnable check = () -> {
            if (a.isLeader() && b.isLeader()) {
                both.set(true);
            }
        };
        a.subscribe(check);
        b.subscribe(check);

        // b keeps trying while a renews: a stays the leader over several lease durations' worth of retries.
        await().during(LEASE.multipliedBy(2)).atMost(LEASE.multipliedBy(3)).until(() -> a.isLeader() && !b.isLeader());

        // a dies: its connection to the API server is gone, it renews nothing and releases nothing.
        long died = System.nanoTime();
        aClient.close();
        await("daemon-a stops leading once it could not renew").atMost(RENEW.plus(Duration.ofSeconds(10)))
                .until(() -> !a.isLeader());
        await("daemon-b leads").atMost(LEASE.plus(Duration.ofSeconds(15))).until(b::isLeader);
        long tookOver = System.nanoTime();
        assertThat(holder()).isEqualTo("daemon-b");
        assertThat(bNotified.get()).as("daemon-b's listeners told").isPositive();
        // Reported (shared machine): from a's death to b leading; bounded below by the Lease's expiry.
        System.out.printf(java.util.Locale.ROOT, "KubernetesLeadershipIT: takeover %d ms after the leader died (lease %d ms)%n",
                Duration.ofNanos(tookOver - died).toMillis(), LEASE.toMillis());
        assertThat(Duration.ofNanos(tookOver - died)).as("b waited for the Lease to expire")
                .isGreaterThanOrEqualTo(LEASE.minus(RENEW).minus(RETRY));
        assertThat(both).as("two leaders at one moment").isFalse();
    }

    @Test
    void aLeaderThatStopsReleasesTheLeaseAndTheOtherTakesOverBeforeItExpires() {
        Leadership a = new KubernetesLeadershipFactory().create(Config.of("leadership", config("daemon-a")), context);
        opened.add(a);
        await("daemon-a leads").atMost(Duration.ofSeconds(30)).until(a::isLeader);
        Leadership b = new KubernetesLeadershipFactory().create(Config.of("leadership", config("daemon-b")), context);
        opened.add(b);
        await().during(RETRY.multipliedBy(4)).atMost(Duration.ofSeconds(10)).until(() -> !b.isLeader());

        long stopped = System.nanoTime();
        a.close();
        assertThat(a.isLeader()).isFalse();
        await("daemon-b leads").atMost(LEASE.plus(Duration.ofSeconds(15))).until(b::isLeader);
        System.out.printf(java.util.Locale.ROOT, "KubernetesLeadershipIT: takeover %d ms after the leader stopped (lease %d ms)%n",
                Duration.ofNanos(System.nanoTime() - stopped).toMillis(), LEASE.toMillis());
        assertThat(holder()).isEqualTo("daemon-b");
    }

    @Test
    void inconsistentDurationsAreRefusedNamingTheKey() {
        Map<String, Object> values = config("daemon-a");
        values.put("lease-duration", "2s");
        assertThatThrownBy(() -> new KubernetesLeadershipFactory().create(Config.of("leadership", values), context))
                .isInstanceOf(ZeroscaleException.class).hasMessageContaining("leadership.lease-duration")
                .hasMessageContaining("must be longer than renew-deadline");
        values.put("lease-duration", "15s");
        values.put("leese", "x");
        assertThatThrownBy(() -> new KubernetesLeadershipFactory().create(Config.of("leadership", values), context))
                .isInstanceOf(ZeroscaleException.class).hasMessageContaining("leese");
    }
}
