package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Container;
import io.zeroscale.spi.orchestrator.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The docker orchestrator's conditional wake against the real engine (Podman's Docker API): two
 * orchestrators over one host, as two daemons would be, each with its own view, call {@code
 * wakeIfZero} at the same moment. In every round exactly one of them wakes the group and the host
 * has exactly one container of it, serving HTTP.
 */
class ConditionalWakeIT {
    private static final int ROUNDS = 5;

    private final List<DockerOrchestrator> orchestrators = new ArrayList<>();
    private Workload workload;

    @BeforeEach
    void requireEngine() {
        Podman.require();
        workload = Podman.httpd(Podman.uniqueName("wake-race"), Map.of());
    }

    @AfterEach
    void cleanUp() {
        orchestrators.forEach(DockerOrchestrator::close);
        Podman.removeAll(workload.target());
    }

    @Test
    void twoOrchestratorsRacingFromZeroWakeExactlyOneReplica() throws Exception {
        DockerOrchestrator first = attached();
        DockerOrchestrator second = attached();
        try (ExecutorService racers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int round = 1; round <= ROUNDS; round++) {
                CountDownLatch go = new CountDownLatch(1);
                Future<Boolean> a = racers.submit(() -> {
                    go.await();
                    return first.wakeIfZero(workload.target());
                });
                Future<Boolean> b = racers.submit(() -> {
                    go.await();
                    return second.wakeIfZero(workload.target());
                });
                go.countDown();
                boolean wokeA = a.get(60, TimeUnit.SECONDS);
                boolean wokeB = b.get(60, TimeUnit.SECONDS);

                assertThat(List.of(wokeA, wokeB)).as("round %d: which orchestrator woke the group", round)
                        .containsExactlyInAnyOrder(true, false);
                List<Container> containers = Podman.containersOf(workload.target());
                assertThat(containers).as("round %d: containers of the group after both calls", round).hasSize(1);
                assertThat(first.wakeIfZero(workload.target())).as("round %d: a wake with a replica there", round).isFalse();
                assertThat(second.wakeIfZero(workload.target())).as("round %d: a wake with a replica there", round).isFalse();
                // Both views agree: one replica, ready.
                for (DockerOrchestrator each : List.of(first, second)) {
                    await("round " + round + ": one ready replica").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                            .until(() -> each.observe(workload.target()), s -> s.readyReplicas() == 1 && s.replicas() == 1);
                }
                assertThat(Podman.containersOf(workload.target())).as("round %d: containers once ready", round).hasSize(1);

                // Back to zero (the leader's scale-down), for the next race.
                (round % 2 == 0 ? first : second).scale(workload.target(), 0);
                await("round " + round + ": the replica removed").atMost(Duration.ofSeconds(30))
                        .until(() -> Podman.containersOf(workload.target()).isEmpty());
            }
        }
    }

    private DockerOrchestrator attached() {
        DockerOrchestrator orchestrator = Podman.orchestrator(Map.of());
        orchestrators.add(orchestrator);
        orchestrator.attach(workload);
        return orchestrator;
    }
}
