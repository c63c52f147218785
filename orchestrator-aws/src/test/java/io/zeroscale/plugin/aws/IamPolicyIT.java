package io.zeroscale.plugin.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.testkit.AwsTestProxy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/aws/iam-policy.json} is exactly what the plugin needs: every action the plugin
 * called through the test proxies of this JVM is in it, and it has no action the plugin never
 * called. Ordered last (see {@code junit-platform.properties}) so that it sees the other suites'
 * calls; its own run goes through every path the plugin has (observe, watch, scale, MinSize
 * lowered to zero and restored, a drained instance removed and its terminate hook completed, an instance Auto Scaling removes kept waiting with heartbeats, an instance healthy in its ELBv2 target group, paused into a warm pool and resumed; an ECS service scaled up, observed and back), so it also holds when it runs alone.
 */
@Order(Integer.MAX_VALUE)
class IamPolicyIT {
    @Test
    void thePolicyAllowsEveryActionThePluginCalledAndNothingElse() throws IOException {
        Set<String> policy = policyActions();
        String group = Moto.group("iam", 1, 3);
        Moto.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(1));
        TargetRef ref = TargetRef.of("aws", "AutoScalingGroup", group);
        try (AwsTestProxy proxy = AwsTestProxy.start(Moto.peer().url());
                ManualTicks ticks = new ManualTicks();
                AutoScalingOrchestrator orchestrator = Moto.orchestrator(proxy.url(), ticks, Map.of(), null)) {
            orchestrator.attach(Moto.workload("aws", group, Map.of("lower-min-size", true)));
            List<ObservedState> seen = new CopyOnWriteArrayList<>();
            orchestrator.watch(ref, event -> {
                if (event instanceof WorkloadEvent.Changed changed) {
                    seen.add(changed.state());
                }
            });
            await("first event").atMost(Duration.ofSeconds(10)).until(() -> !seen.isEmpty());
            assertThat(orchestrator.observe(ref).readyReplicas()).isEqualTo(1);
            orchestrator.scale(ref, 0);
            orchestrator.scale(ref, 2);
            orchestrator.scale(ref, 3);
            ObservedState three = await("3 ready").atMost(Duration.ofSeconds(30)).until(() -> orchestrator.observe(ref), s -> s.readyReplicas() == 3);
            Moto.autoScaling().putLifecycleHook(r -> r.autoScalingGroupName(group).lifecycleHookName("drain")
                    .lifecycleTransition("autoscaling:EC2_INSTANCE_TERMINATING").heartbeatTimeout(300));
            orchestrator.remove(ref, List.of(three.readyEndpoints().get(2)));
            assertThat(proxy.terminatingWait()).as("the hook was completed").isEmpty();
            Moto.autoScaling().putWarmPool(r -> r.autoScalingGroupName(group).instanceReusePolicy(p -> p.reuseOnScaleIn(true)));
            orchestrator.pause(ref);
            assertThat(orchestrator.observe(ref).pausedReplicas()).isEqualTo(2);
            orchestrator.resume(ref);

            // An instance Auto Scaling removes on its own, held by a 30 s hook (1.5 s here) through a longer drain: heartbeats.
            String hooked = Moto.group("iam-hook", 0, 2);
            Moto.autoScaling().setDesiredCapacity(r -> r.autoScalingGroupName(hooked).desiredCapacity(1));
            Moto.autoScaling().putLifecycleHook(r -> r.autoScalingGroupName(hooked).lifecycleHookName("drain")
                    .lifecycleTransition("autoscaling:EC2_INSTANCE_TERMINATING").heartbeatTimeout(30));
            TargetRef hookedRef = TargetRef.of("aws", "AutoScalingGroup", hooked);
            orchestrator.attach(Moto.workload("aws", hooked, Map.of()));
            List<WorkloadEvent.Removing> removals = new CopyOnWriteArrayList<>();
            orchestrator.watch(hookedRef, event -> {
                if (event instanceof WorkloadEvent.Removing removing) {
                    removals.add(removing);
                }
            });
            await("1 ready").atMost(Duration.ofSeconds(30)).until(() -> orchestrator.observe(hookedRef), s -> s.readyReplicas() == 1);
            proxy.hookSecond(Duration.ofMillis(50));
            ticks.runClock(Duration.ofMillis(50));
            proxy.terminateAsAutoScaling(Moto.REGION, Moto.describeGroup(hooked).instances().get(0).instanceId());
            await("announced, and a heartbeat while it drains").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                orchestrator.requestPoll();
                return !removals.isEmpty() && proxy.calls("autoscaling:RecordLifecycleActionHeartbeat") > 0;
            });
            orchestrator.remove(hookedRef, removals.get(0).endpoints());
            assertThat(proxy.terminatingWait()).as("the hook was completed").isEmpty();

            // A group behind an ELBv2 target group: ready only when healthy in it.
            Map.Entry<String, String> balanced = Moto.groupInTargetGroup("iam-elb", 1, 1);
            TargetRef balancedRef = TargetRef.of("aws", "AutoScalingGroup", balanced.getKey());
            orchestrator.attach(Moto.workload("aws", balanced.getKey(), Map.of("target-group-arn", balanced.getValue())));
            await("healthy in its target group").atMost(Duration.ofSeconds(30))
                    .until(() -> orchestrator.observe(balancedRef), s -> s.readyReplicas() == 1);

            String service = Moto.service("iam");
            TargetRef ecsRef = new TargetRef("ecs", "Service", Moto.CLUSTER, service);
            try (EcsOrchestrator ecs = Moto.ecsOrchestrator(proxy.url(), ticks, Map.of(), null)) {
                ecs.attach(Moto.ecsWorkload("ecs", service, Map.of()));
                ecs.scale(ecsRef, 1);
                assertThat(ecs.observe(ecsRef).replicas()).isEqualTo(1);
                ecs.scale(ecsRef, 0);
            }

            assertThat(proxy.actions()).as("actions of a run through every path").isEqualTo(policy);
        }
        assertThat(AwsTestProxy.allActions()).as("every action the plugin called in this JVM")
                .isSubsetOf(policy)
                .containsAll(policy);
    }

    private static Set<String> policyActions() throws IOException {
        Path file = Path.of(System.getProperty("zeroscale.deploy", "../deploy")).resolve("aws/iam-policy.json");
        JsonNode policy = new ObjectMapper().readTree(file.toFile());
        assertThat(policy.path("Version").asText()).isEqualTo("2012-10-17");
        Set<String> actions = new TreeSet<>();
        for (JsonNode statement : policy.path("Statement")) {
            assertThat(statement.path("Effect").asText()).isEqualTo("Allow");
            statement.path("Action").forEach(action -> assertThat(actions.add(action.asText())).as("listed once: " + action).isTrue());
        }
        return actions;
    }
}
