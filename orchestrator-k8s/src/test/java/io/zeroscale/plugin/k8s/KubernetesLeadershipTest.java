package io.zeroscale.plugin.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import io.zeroscale.spi.Config;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What {@link KubernetesLeadership#isLeader()} answers between renewals; the election itself is KubernetesLeadershipIT's. */
class KubernetesLeadershipTest {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    // Never connects: the Lease is the stand-in lock below.
    private final KubernetesClient client = new KubernetesClientBuilder().build();
    private final KubernetesLeadership leadership = new KubernetesLeadership(client,
            LeadershipSettings.parse(Config.of("leadership", Map.of("type", "kubernetes", "namespace", "ops",
                    "identity", "a", "lease-duration", "15s", "renew-deadline", "10s", "retry-period", "2s")),
                    Map.of(), c -> "ops"),
            Runnable::run, now::get);
    private final Lock lock = leadership.reporting(new Accepting());

    @AfterEach
    void close() {
        leadership.close();
    }

    private static LeaderElectionRecord held(String holder) {
        ZonedDateTime at = ZonedDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
        return new LeaderElectionRecord(holder, Duration.ofSeconds(15), at, at, 0);
    }

    private void advance(Duration by) {
        now.updateAndGet(instant -> instant.plus(by));
    }

    @Test
    void aLeaderNotRenewedWithinTheRenewDeadlineAnswersFalseBeforeTheElectorNotices() {
        lock.create(client, held("a"));
        leadership.changed(true);
        assertThat(leadership.isLeader()).isTrue();

        advance(Duration.ofSeconds(9));
        assertThat(leadership.isLeader()).as("9 s after the last renewal, within the 10 s renew deadline").isTrue();
        lock.update(client, held("a"));
        advance(Duration.ofSeconds(9));
        assertThat(leadership.isLeader()).as("a renewal counts from its own time").isTrue();

        // Stopped (SIGSTOP, a paused VM) past the deadline: the elector has not run, still "leading".
        advance(Duration.ofSeconds(1));
        assertThat(leadership.isLeader()).as("10 s after the last renewal").isFalse();
        advance(Duration.ofSeconds(30));
        assertThat(leadership.isLeader()).isFalse();

        lock.update(client, held("a"));
        assertThat(leadership.isLeader()).as("renewed again").isTrue();
    }

    @Test
    void onlyWritesNamingThisDaemonCountAsRenewals() {
        lock.create(client, held("a"));
        leadership.changed(true);
        advance(Duration.ofSeconds(9));
        lock.update(client, held("")); // a release
        lock.update(client, held("b"));
        advance(Duration.ofSeconds(1));

        assertThat(leadership.isLeader()).isFalse();
    }

    @Test
    void neverRenewedIsNotLeading() {
        leadership.changed(true);

        assertThat(leadership.isLeader()).isFalse();
    }

    /** A Lease that takes every write. */
    private static final class Accepting implements Lock {
        @Override
        public @Nullable LeaderElectionRecord get(KubernetesClient client) {
            return null;
        }

        @Override
        public void create(KubernetesClient client, LeaderElectionRecord record) {}

        @Override
        public void update(KubernetesClient client, LeaderElectionRecord record) {}

        @Override
        public String identity() {
            return "a";
        }

        @Override
        public String describe() {
            return "ops/zeroscale";
        }
    }
}
