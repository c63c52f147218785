package io.zeroscale.plugin.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.zeroscale.testkit.AwsTestProxy;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsResponse;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.WarmPoolState;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.DesiredStatus;
import software.amazon.awssdk.services.ecs.model.EcsException;
import software.amazon.awssdk.services.ecs.model.Service;
import software.amazon.awssdk.services.ecs.model.Task;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealth;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/**
 * The test proxy on its own, with the AWS SDK's own clients (not the plugin) through it to moto:
 * what AWS documents for throttling, instance and task boot and ECS's service scheduler, and its
 * counting and recording.
 */
class AwsTestProxyIT {
    private AwsTestProxy proxy;
    private AutoScalingClient autoScaling;
    private Ec2Client ec2;
    private EcsClient ecs;

    @BeforeEach
    void start() {
        proxy = AwsTestProxy.startUnrecorded(Moto.peer().url());
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
        autoScaling = AutoScalingClient.builder().region(Region.of(Moto.REGION)).endpointOverride(URI.create(proxy.url()))
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
        ecs = EcsClient.builder().region(Region.of(Moto.REGION)).endpointOverride(URI.create(proxy.url()))
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
        ec2 = Ec2Client.builder().region(Region.of(Moto.REGION)).endpointOverride(URI.create(proxy.url()))
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
    }

    @AfterEach
    void stop() {
        autoScaling.close();
        ec2.close();
        ecs.close();
        proxy.close();
    }

    @Test
    void targetHealthIsInitialForASetTimeThenMotosHealthyAndUnhealthyWhileChecksFail() {
        Map.Entry<String, String> created = Moto.groupInTargetGroup("proxy-elb", 0, 2);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(created.getKey()).desiredCapacity(2));
        List<String> ids = Moto.describeGroup(created.getKey()).instances().stream().map(Instance::instanceId).toList();
        try (ElasticLoadBalancingV2Client elb = ElasticLoadBalancingV2Client.builder().region(Region.of(Moto.REGION))
                .endpointOverride(URI.create(proxy.url()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            proxy.initialHealthChecks(Duration.ofMillis(500));
            Map<String, TargetHealth> initial = health(elb, created.getValue());
            assertThat(initial).containsOnlyKeys(ids);
            assertThat(initial.values()).allSatisfy(h -> {
                assertThat(h.stateAsString()).isEqualTo("initial");
                assertThat(h.reasonAsString()).isEqualTo("Elb.RegistrationInProgress");
            });

            proxy.failHealthChecks(ids.get(0), true);
            Map<String, TargetHealth> checked = await("checks done").atMost(Duration.ofSeconds(10))
                    .until(() -> health(elb, created.getValue()), h -> !h.get(ids.get(1)).stateAsString().equals("initial"));
            assertThat(checked.get(ids.get(1)).stateAsString()).as("moto's answer").isEqualTo("healthy");
            assertThat(checked.get(ids.get(0)).stateAsString()).isEqualTo("unhealthy");
            assertThat(checked.get(ids.get(0)).reasonAsString()).isEqualTo("Target.FailedHealthChecks");

            proxy.failHealthChecks(ids.get(0), false);
            assertThat(health(elb, created.getValue()).get(ids.get(0)).stateAsString()).isEqualTo("healthy");
        }
        assertThat(proxy.calls("elasticloadbalancing:DescribeTargetHealth")).as("counted as its IAM action").isPositive();
    }

    private static Map<String, TargetHealth> health(ElasticLoadBalancingV2Client elb, String arn) {
        Map<String, TargetHealth> health = new LinkedHashMap<>();
        for (TargetHealthDescription description : elb.describeTargetHealth(r -> r.targetGroupArn(arn)).targetHealthDescriptions()) {
            health.put(description.target().id(), description.targetHealth());
        }
        return health;
    }

    @Test
    void forwardsAndRecordsEachCallAsItsIamAction() {
        String group = Moto.group("proxy-record", 0, 3);

        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(1));
        DescribeAutoScalingGroupsResponse answer = autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames(group));
        ec2.describeInstances(r -> r.instanceIds(answer.autoScalingGroups().get(0).instances().get(0).instanceId()));

        assertThat(answer.autoScalingGroups().get(0).desiredCapacity()).as("moto's answer came through").isEqualTo(1);
        assertThat(proxy.log()).containsExactly("autoscaling:SetDesiredCapacity", "autoscaling:DescribeAutoScalingGroups",
                "ec2:DescribeInstances");
    }

    @Test
    void throttledAutoScalingCallsFailAsAwsDocumentsThenPassAgain() {
        String group = Moto.group("proxy-throttle", 0, 3);
        proxy.throttle("autoscaling:SetDesiredCapacity", 2);

        for (int i = 0; i < 2; i++) {
            AutoScalingException e = catchThrowableOfType(AutoScalingException.class,
                    () -> autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(2)));
            assertThat(e.statusCode()).as("HTTP status of a throttled Auto Scaling call").isEqualTo(400);
            assertThat(e.awsErrorDetails().errorCode()).isEqualTo("Throttling");
            assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Rate exceeded");
            assertThat(e.isThrottlingException()).as("the SDK reads it as throttling").isTrue();
        }
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(2));

        assertThat(describe(group).desiredCapacity()).as("only the third call reached moto").isEqualTo(2);
        assertThat(proxy.throttled()).isEqualTo(2);
        assertThat(proxy.calls("autoscaling:SetDesiredCapacity")).as("throttled calls are counted too").isEqualTo(3);
    }

    @Test
    void throttledEc2CallsFailWithRequestLimitExceeded() {
        proxy.throttle("ec2:DescribeInstances", 1);

        Ec2Exception e = catchThrowableOfType(Ec2Exception.class, () -> ec2.describeInstances());

        assertThat(e.statusCode()).isEqualTo(503);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("RequestLimitExceeded");
        assertThat(e.isThrottlingException()).isTrue();
        ec2.describeInstances();
    }

    @Test
    void newInstancesArePendingForTheBootTimeThenInService() {
        String group = Moto.group("proxy-boot", 0, 3);
        proxy.pendingFor(Duration.ofSeconds(2));

        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(2));

        AutoScalingGroup booting = describe(group);
        assertThat(booting.instances()).hasSize(2)
                .allSatisfy(instance -> assertThat(instance.lifecycleStateAsString()).isEqualTo("Pending"));
        assertThat(booting.desiredCapacity()).as("the rest of the answer is moto's").isEqualTo(2);
        await("both instances InService after the boot time").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> describe(group).instances(), instances -> instances.size() == 2
                        && instances.stream().allMatch(i -> "InService".equals(i.lifecycleStateAsString())));
    }

    @Test
    void instancesSeenBeforeABootTimeIsSetStayInService() {
        String group = Moto.group("proxy-old", 0, 3);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(1));
        assertThat(describe(group).instances().get(0).lifecycleStateAsString()).isEqualTo("InService");
        proxy.pendingFor(Duration.ofMinutes(10));

        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(2));

        List<String> states = describe(group).instances().stream().map(i -> i.lifecycleStateAsString()).toList();
        assertThat(states).containsExactlyInAnyOrder("InService", "Pending");
    }

    @Test
    void countsEveryPageOfAPagedDescribe() {
        String a = Moto.group("proxy-page", 0, 1);
        String b = Moto.group("proxy-page", 0, 1);
        String c = Moto.group("proxy-page", 0, 1);

        int groups = 0;
        for (DescribeAutoScalingGroupsResponse page : autoScaling.describeAutoScalingGroupsPaginator(
                r -> r.autoScalingGroupNames(a, b, c).maxRecords(1))) {
            groups += page.autoScalingGroups().size();
        }

        assertThat(groups).isEqualTo(3);
        assertThat(proxy.calls("autoscaling:DescribeAutoScalingGroups")).as("one call per page of one record").isEqualTo(3);
    }

    @Test
    void ecsUpdateServiceRunsTasksWithAwsvpcInterfacesAsTheSchedulerDoesAndStopsTheNewestOnScaleIn() {
        String service = Moto.service("proxy-ecs");

        ecs.updateService(r -> r.cluster(Moto.CLUSTER).service(service).desiredCount(3));

        List<Task> tasks = serviceTasks(service);
        assertThat(tasks).hasSize(3).allSatisfy(task -> {
            assertThat(task.lastStatus()).isEqualTo("RUNNING");
            assertThat(task.taskDefinitionArn()).contains("task-definition/web");
            assertThat(task.attachments()).singleElement().satisfies(eni -> {
                assertThat(eni.type()).isEqualTo("ElasticNetworkInterface");
                assertThat(eni.details()).anySatisfy(detail -> {
                    assertThat(detail.name()).isEqualTo("privateIPv4Address");
                    assertThat(detail.value()).isNotBlank();
                });
            });
        });
        Service described = ecs.describeServices(r -> r.cluster(Moto.CLUSTER).services(service)).services().get(0);
        assertThat(described.runningCount()).isEqualTo(3);
        assertThat(described.pendingCount()).isZero();
        assertThat(serviceTasks(service)).as("described again, still running (moto's state machine is set to stay put)")
                .extracting(Task::lastStatus).containsOnly("RUNNING");

        ecs.updateService(r -> r.cluster(Moto.CLUSTER).service(service).desiredCount(1));

        List<Task> left = serviceTasks(service);
        assertThat(left).hasSize(1);
        assertThat(left.get(0).createdAt()).as("the oldest is kept").isEqualTo(tasks.stream().map(Task::createdAt).min(Instant::compareTo).orElseThrow());
        assertThat(proxy.log()).as("the scheduler's own calls are not counted")
                .containsOnly("ecs:UpdateService", "ecs:ListTasks", "ecs:DescribeTasks", "ecs:DescribeServices");
    }

    @Test
    void newTasksArePendingForTheBootTimeThenRunning() {
        String service = Moto.service("proxy-ecs-boot");
        proxy.pendingFor(Duration.ofSeconds(2));

        ecs.updateService(r -> r.cluster(Moto.CLUSTER).service(service).desiredCount(2));

        assertThat(serviceTasks(service)).hasSize(2).allSatisfy(task -> {
            assertThat(task.lastStatus()).isEqualTo("PENDING");
            assertThat(task.startedAt()).isNull();
        });
        Service booting = ecs.describeServices(r -> r.cluster(Moto.CLUSTER).services(service)).services().get(0);
        assertThat(booting.pendingCount()).isEqualTo(2);
        assertThat(booting.runningCount()).isZero();
        await("both tasks RUNNING after the boot time").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> serviceTasks(service), list -> list.size() == 2 && list.stream().allMatch(t -> "RUNNING".equals(t.lastStatus())));
    }

    @Test
    void throttledEcsCallsFailWithThrottlingException() {
        proxy.throttle("ecs:DescribeServices", 1);

        EcsException e = catchThrowableOfType(EcsException.class, () -> ecs.describeServices(r -> r.cluster(Moto.CLUSTER).services("x")));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ThrottlingException");
        assertThat(e.isThrottlingException()).as("the SDK reads it as throttling").isTrue();
    }

    @Test
    void warmPoolWithReuseTakesScaledInInstancesStoppedAndGivesThemBackOnScaleOutBeforeLaunching() {
        String group = Moto.group("proxy-warm", 0, 3);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(2));
        List<String> first = describe(group).instances().stream().map(Instance::instanceId).toList();
        autoScaling.putWarmPool(r -> r.autoScalingGroupName(group).poolState(WarmPoolState.HIBERNATED)
                .instanceReusePolicy(p -> p.reuseOnScaleIn(true)));
        proxy.warmPoolTimes(Duration.ofSeconds(1), Duration.ofSeconds(1));

        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(0));

        assertThat(describe(group).instances()).as("scaled in: out of the group").isEmpty();
        assertThat(describe(group).desiredCapacity()).isZero();
        assertThat(warmStates(group)).as("entering the pool").containsOnlyKeys(first).containsValues("Warmed:Pending");
        await("warmed: hibernated, the pool's state").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> warmStates(group).values(), states -> states.size() == 2 && states.stream().allMatch("Warmed:Hibernated"::equals));
        assertThat(ec2.describeInstances(r -> r.instanceIds(first)).reservations().stream().flatMap(res -> res.instances().stream())
                .map(i -> i.state().nameAsString())).as("stopped in EC2, not terminated").containsOnly("stopped");

        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(3));

        AutoScalingGroup out = describe(group);
        assertThat(out.desiredCapacity()).isEqualTo(3);
        assertThat(out.instances()).hasSize(3);
        assertThat(out.instances()).filteredOn(i -> first.contains(i.instanceId())).as("both warmed instances came back, starting")
                .hasSize(2).allSatisfy(i -> assertThat(i.lifecycleStateAsString()).isEqualTo("Pending"));
        assertThat(out.instances()).filteredOn(i -> !first.contains(i.instanceId())).as("the pool had 2: one launched")
                .singleElement().satisfies(i -> assertThat(i.lifecycleStateAsString()).isEqualTo("InService"));
        assertThat(warmStates(group)).as("the pool is empty").isEmpty();
        await("the warm instances InService after their start").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> describe(group).instances(), list -> list.stream().allMatch(i -> "InService".equals(i.lifecycleStateAsString())));
    }

    @Test
    void warmPoolWithoutReuseLetsAScaleInTerminateAndATerminatedWarmInstanceLeavesThePool() {
        String plain = Moto.group("proxy-warm-noreuse", 0, 3);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(plain).desiredCapacity(1));
        autoScaling.putWarmPool(r -> r.autoScalingGroupName(plain).instanceReusePolicy(p -> p.reuseOnScaleIn(false)));
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(plain).desiredCapacity(0));
        assertThat(warmStates(plain)).isEmpty();

        String group = Moto.group("proxy-warm-gone", 0, 3);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(2));
        autoScaling.putWarmPool(r -> r.autoScalingGroupName(group).instanceReusePolicy(p -> p.reuseOnScaleIn(true)));
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(0));
        assertThat(warmStates(group).values()).containsExactly("Warmed:Stopped", "Warmed:Stopped");
        String gone = warmStates(group).keySet().iterator().next();

        ec2.terminateInstances(r -> r.instanceIds(gone));

        assertThat(warmStates(group)).hasSize(1).doesNotContainKey(gone);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(2));
        assertThat(describe(group).instances()).hasSize(2);
        assertThat(warmStates(group)).isEmpty();
    }

    @Test
    void aTerminateHookHoldsTheInstanceInTerminatingWaitUntilTheActionIsCompleted() {
        String group = Moto.group("proxy-hook", 0, 3);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(2));
        List<String> ids = describe(group).instances().stream().map(Instance::instanceId).toList();
        autoScaling.putLifecycleHook(r -> r.autoScalingGroupName(group).lifecycleHookName("drain")
                .lifecycleTransition("autoscaling:EC2_INSTANCE_TERMINATING").heartbeatTimeout(300).defaultResult("CONTINUE"));

        autoScaling.terminateInstanceInAutoScalingGroup(r -> r.instanceId(ids.get(0)).shouldDecrementDesiredCapacity(true));

        AutoScalingGroup waiting = describe(group);
        assertThat(waiting.desiredCapacity()).as("the decrement applies at once").isEqualTo(1);
        assertThat(states(waiting)).containsEntry(ids.get(0), "Terminating:Wait").containsEntry(ids.get(1), "InService");
        AutoScalingException wrong = catchThrowableOfType(AutoScalingException.class, () -> autoScaling.completeLifecycleAction(
                r -> r.autoScalingGroupName(group).lifecycleHookName("drain").instanceId(ids.get(1)).lifecycleActionResult("CONTINUE")));
        assertThat(wrong.awsErrorDetails().errorCode()).isEqualTo("ValidationError");
        assertThat(wrong.awsErrorDetails().errorMessage()).startsWith("No active Lifecycle Action found with instance ID " + ids.get(1));
        assertThat(states(describe(group))).as("still waiting for its own completion").containsEntry(ids.get(0), "Terminating:Wait");

        autoScaling.completeLifecycleAction(r -> r.autoScalingGroupName(group).lifecycleHookName("drain").instanceId(ids.get(0))
                .lifecycleActionResult("CONTINUE"));

        AutoScalingGroup after = describe(group);
        assertThat(after.instances()).extracting(Instance::instanceId).containsExactly(ids.get(1));
        assertThat(after.desiredCapacity()).isEqualTo(1);
        assertThat(proxy.terminatingWait()).isEmpty();
    }

    @Test
    void aHookNotCompletedWithinItsHeartbeatTimeoutLetsTheTerminationGoOnAndAutoScalingsOwnRemovalIsReplaced() {
        proxy.hookSecond(Duration.ofMillis(50));
        String group = Moto.group("proxy-hook-timeout", 0, 3);
        autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(1));
        String id = describe(group).instances().get(0).instanceId();
        autoScaling.putLifecycleHook(r -> r.autoScalingGroupName(group).lifecycleHookName("drain")
                .lifecycleTransition("autoscaling:EC2_INSTANCE_TERMINATING").heartbeatTimeout(30).defaultResult("ABANDON"));

        proxy.terminateAsAutoScaling(Moto.REGION, id);

        AutoScalingGroup waiting = describe(group);
        assertThat(states(waiting)).containsEntry(id, "Terminating:Wait");
        assertThat(waiting.desiredCapacity()).as("Auto Scaling's own removal keeps the capacity").isEqualTo(1);
        autoScaling.recordLifecycleActionHeartbeat(r -> r.autoScalingGroupName(group).lifecycleHookName("drain").instanceId(id));
        await("terminated once the heartbeat timeout (30 s at 50 ms) passed, and replaced").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).until(() -> describe(group).instances(),
                        list -> list.size() == 1 && !list.get(0).instanceId().equals(id));
        assertThat(proxy.terminatingWait()).isEmpty();
    }

    private static Map<String, String> states(AutoScalingGroup group) {
        Map<String, String> states = new LinkedHashMap<>();
        group.instances().forEach(i -> states.put(i.instanceId(), i.lifecycleStateAsString()));
        return states;
    }

    private Map<String, String> warmStates(String group) {
        Map<String, String> states = new LinkedHashMap<>();
        autoScaling.describeWarmPool(r -> r.autoScalingGroupName(group)).instances()
                .forEach(i -> states.put(i.instanceId(), i.lifecycleStateAsString()));
        return states;
    }

    private List<Task> serviceTasks(String service) {
        List<String> arns = ecs.listTasks(r -> r.cluster(Moto.CLUSTER).desiredStatus(DesiredStatus.RUNNING)).taskArns();
        if (arns.isEmpty()) {
            return List.of();
        }
        return ecs.describeTasks(r -> r.cluster(Moto.CLUSTER).tasks(arns)).tasks().stream()
                .filter(task -> ("service:" + service).equals(task.group())).toList();
    }

    private AutoScalingGroup describe(String group) {
        return autoScaling.describeAutoScalingGroups(r -> r.autoScalingGroupNames(group)).autoScalingGroups().get(0);
    }
}
