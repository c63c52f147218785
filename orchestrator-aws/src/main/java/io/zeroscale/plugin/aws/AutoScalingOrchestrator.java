package io.zeroscale.plugin.aws;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsRequest;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsResponse;
import software.amazon.awssdk.services.autoscaling.model.Instance;
import software.amazon.awssdk.services.autoscaling.model.LifecycleHook;
import software.amazon.awssdk.services.autoscaling.model.Tag;
import software.amazon.awssdk.services.autoscaling.model.TagDescription;
import software.amazon.awssdk.services.autoscaling.model.DescribeWarmPoolResponse;
import software.amazon.awssdk.services.autoscaling.model.WarmPoolConfiguration;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

/**
 * The {@code aws-autoscaling} orchestrator: one EC2 Auto Scaling group per target, in one region.
 *
 * <p>Scaling sets the group's desired capacity within its MinSize..MaxSize. Reaching zero below a
 * MinSize above 0 lowers MinSize to 0 only when the target's {@code lower-min-size} allows it,
 * first writing the original into the group's tag {@value #MIN_SIZE_TAG} so that it survives a
 * daemon restart (state lives in AWS, never in local files); the next scale-up restores it.
 *
 * <p>State: every {@code poll-interval} one batched DescribeAutoScalingGroups (all watched groups,
 * up to {@value #NAMES_PER_PAGE} names and records per page) and one DescribeInstances for
 * instances whose private IP is not known yet (and one DescribeTargetHealth per target group
 * named by a target's {@code target-group-arn}), pushed to the watchers as {@link
 * WorkloadEvent.Changed} when a group's state changed. A throttled poll waits 2, 4, then 8
 * intervals before the next one. A failed poll pushes nothing: the engine keeps the last state and
 * never reads a failure as zero.
 *
 * <p>Thread-safe: calls for different targets run concurrently; polls run one at a time ({@link Poller}) on the
 * blocking executor, which also delivers the events (in order per target).
 */
final class AutoScalingOrchestrator implements Orchestrator, Endpoints, Drainable, Pausable {
    private static final Logger log = LoggerFactory.getLogger(AutoScalingOrchestrator.class);
    /** The tag holding a group's MinSize from before a scale to zero lowered it. */
    static final String MIN_SIZE_TAG = "zeroscale:original-min-size";
    /** The tag holding a paused group's desired capacity: its instances wait in the warm pool. */
    static final String PAUSED_TAG = "zeroscale:paused-capacity";
    /** The tier of an instance taken from the warm pool (a start of a stopped or hibernated instance). */
    static final String TIER_WARM_POOL = "warm-pool";
    /** The tier of an instance launched new (a cold start). */
    static final String TIER_LAUNCHED = "launched";
    /** The lifecycle state of an instance a terminate lifecycle hook holds. */
    static final String TERMINATING_WAIT = "Terminating:Wait";
    static final String TERMINATING_TRANSITION = "autoscaling:EC2_INSTANCE_TERMINATING";
    /** DescribeAutoScalingGroups' largest page (MaxRecords); also the most names sent per request. */
    static final int NAMES_PER_PAGE = 100;
    /** Instance ids per DescribeInstances request. */
    static final int INSTANCES_PER_REQUEST = 200;

    private final String name;
    private final AutoScalingClient autoScaling;
    private final Ec2Client ec2;
    private final ElasticLoadBalancingV2Client elb;
    private final InstanceProbe probe;
    private final PluginContext context;
    private final AutoCloseable resources;
    private final Map<TargetRef, GroupSettings> groups = new ConcurrentHashMap<>();
    /** What DescribeInstances said of an instance; neither changes during its life. */
    private final Map<String, InstanceFacts> instances = new ConcurrentHashMap<>();
    private final Poller<GroupSettings> poller;
    /** Scale-ups of warm-pool groups whose new instances are still to be announced with their tier, by group name. */
    private final Map<String, Starts> starts = new ConcurrentHashMap<>();
    /** Instances this orchestrator terminated itself (after their drain): never announced as removals. */
    private final Set<String> released = ConcurrentHashMap.newKeySet();
    /** Instances in Terminating:Wait already announced with {@link WorkloadEvent.Removing}. */
    private final Set<String> announcedRemovals = ConcurrentHashMap.newKeySet();
    /** Heartbeats of announced instances held in Terminating:Wait while the gateway drains them, by instance id. */
    private final Map<String, Heartbeat> heartbeats = new ConcurrentHashMap<>();
    /** Events found by a poll, for the poller to deliver before the state. */
    private final Map<GroupSettings, List<WorkloadEvent>> announcements = new ConcurrentHashMap<>();

    /**
     * A scale-up of a group with a warm pool: instances not in the group before that were in the
     * warm pool came from it; others were launched. Ends once {@code count} were announced.
     */
    private record Starts(Set<String> before, Set<String> warm, int count, Set<String> announced) {}

    /**
     * The terminate hooks holding one instance, how often each gets a heartbeat (half the shortest
     * HeartbeatTimeout of them) and when the next is due (scheduler clock).
     */
    private record Heartbeat(List<String> hooks, Duration every, Instant due) {}

    /** Private IP and launch time of one instance. */
    record InstanceFacts(@Nullable String privateIp, Instant launchTime) {}

    AutoScalingOrchestrator(String name, AwsConfig config, AutoScalingClient autoScaling, Ec2Client ec2,
            ElasticLoadBalancingV2Client elb, InstanceProbe probe, PluginContext context, AutoCloseable resources) {
        this.name = requireNonNull(name, "name is null");
        this.autoScaling = requireNonNull(autoScaling, "autoScaling is null");
        this.ec2 = requireNonNull(ec2, "ec2 is null");
        this.elb = requireNonNull(elb, "elb is null");
        this.probe = requireNonNull(probe, "probe is null");
        this.context = requireNonNull(context, "context is null");
        this.resources = requireNonNull(resources, "resources is null");
        this.poller = new Poller<>(name, "Auto Scaling group(s)", config.pollInterval(), context, this::read, GroupSettings::target,
                g -> "Auto Scaling group '" + g.groupName() + "'", g -> {
                    List<WorkloadEvent> found = announcements.remove(g);
                    return found == null ? List.of() : found;
                });
    }

    @Override
    public void attach(Workload workload) {
        GroupSettings settings = GroupSettings.parse(workload.target(), workload.settings());
        groups.put(workload.target(), settings);
    }

    /** Stops polling the group and forgets its settings; the group keeps its capacity and its tags. */
    @Override
    public void detach(Workload workload) {
        TargetRef target = workload.target();
        poller.forget(target);
        groups.remove(target);
    }

    @Override
    public ObservedState observe(TargetRef target) {
        GroupSettings settings = settings(target);
        AutoScalingGroup group = describeOne(settings);
        Map<String, InstanceFacts> facts = learnInstances(List.of(group));
        return state(settings, group, probeAll(List.of(settings), List.of(group), facts), healthy(List.of(settings)), facts,
                pooledInstances(group));
    }

    @Override
    public void scale(TargetRef target, int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
        }
        GroupSettings settings = settings(target);
        AutoScalingGroup current = describeOne(settings);
        Integer paused = pausedCapacity(current);
        if (paused != null) {
            // Paused: the count is the one a resume brings back from the warm pool; a scale to zero ends the pause.
            if (replicas == 0) {
                deleteTag(settings, PAUSED_TAG);
            } else if (replicas != paused) {
                checkLimits(settings, current, replicas);
                writeTag(settings, PAUSED_TAG, replicas);
            }
            return;
        }
        checkLimits(settings, current, replicas);
        if (replicas > current.desiredCapacity()) {
            expectStarts(settings, current, replicas);
        }
        setCapacity(settings, current, replicas);
    }

    /** Refuses a count above MaxSize, or between 1 and a MinSize above it. */
    private static void checkLimits(GroupSettings settings, AutoScalingGroup current, int replicas) {
        String group = settings.groupName();
        if (replicas > current.maxSize()) {
            throw new ZeroscaleException(AwsErrorCode.OUTSIDE_GROUP_LIMITS, "cannot scale Auto Scaling group '" + group + "' to "
                    + replicas + ": its MaxSize is " + current.maxSize() + "; raise MaxSize in AWS or lower the target's maximum replicas");
        }
        if (replicas == 0 && current.minSize() > 0 && !settings.lowerMinSize()) {
            throw new ZeroscaleException(AwsErrorCode.OUTSIDE_GROUP_LIMITS, "cannot scale Auto Scaling group '" + group
                    + "' to 0: its MinSize is " + current.minSize() + "; set " + settings.settings().pathOf("lower-min-size")
                    + ": true to let zeroscale lower MinSize to 0 (and restore it on the next scale-up), or set MinSize to 0 in AWS");
        }
    }

    private void writeTag(GroupSettings settings, String key, int value) {
        String group = settings.groupName();
        AwsErrors.call("CreateOrUpdateTags of group " + group, settings.settings().pathOf("name"),
                () -> autoScaling.createOrUpdateTags(r -> r.tags(List.of(Tag.builder().resourceId(group).resourceType("auto-scaling-group")
                        .key(key).value(Integer.toString(value)).propagateAtLaunch(false).build()))));
    }

    private void deleteTag(GroupSettings settings, String key) {
        String group = settings.groupName();
        AwsErrors.call("DeleteTags of group " + group, settings.settings().pathOf("name"),
                () -> autoScaling.deleteTags(r -> r.tags(List.of(
                        Tag.builder().resourceId(group).resourceType("auto-scaling-group").key(key).build()))));
    }

    /** Sets the group's capacity to {@code replicas}, lowering or restoring MinSize as configured. */
    private void setCapacity(GroupSettings settings, AutoScalingGroup current, int replicas) {
        String group = settings.groupName();
        int min = current.minSize();
        Integer original = originalMinSize(current);
        checkLimits(settings, current, replicas);
        if (replicas == 0 && min > 0) {
            if (original == null) {
                // The original goes into the tag first: a crash between the two writes must not lose it.
                writeTag(settings, MIN_SIZE_TAG, min);
            }
            log.info("lowering MinSize of Auto Scaling group '{}' from {} to 0 to reach zero ({}: true); "
                    + "the original is kept in its tag {} and restored on the next scale-up",
                    group, min, settings.settings().pathOf("lower-min-size"), MIN_SIZE_TAG);
            AwsErrors.call("UpdateAutoScalingGroup of group " + group, settings.settings().pathOf("name"),
                    () -> autoScaling.updateAutoScalingGroup(r -> r.autoScalingGroupName(group).minSize(0).desiredCapacity(0)));
            return;
        }
        if (original != null && replicas > 0) {
            int restored = Math.min(original, replicas);
            if (min != restored || current.desiredCapacity() != replicas) {
                log.info("restoring MinSize of Auto Scaling group '{}' to {} (its original {}, kept in tag {}) while scaling to {}",
                        group, restored, original, MIN_SIZE_TAG, replicas);
                AwsErrors.call("UpdateAutoScalingGroup of group " + group, settings.settings().pathOf("name"),
                        () -> autoScaling.updateAutoScalingGroup(r -> r.autoScalingGroupName(group).minSize(restored).desiredCapacity(replicas)));
            }
            if (restored == original) {
                deleteTag(settings, MIN_SIZE_TAG);
            }
            return;
        }
        if (replicas < min) {
            throw new ZeroscaleException(AwsErrorCode.OUTSIDE_GROUP_LIMITS, "cannot scale Auto Scaling group '" + group + "' to "
                    + replicas + ": its MinSize is " + min + "; lower MinSize in AWS or raise the target's minimum replicas");
        }
        if (current.desiredCapacity() == replicas) {
            return;
        }
        AwsErrors.call("SetDesiredCapacity of group " + group, settings.settings().pathOf("name"),
                () -> autoScaling.setDesiredCapacity(r -> r.autoScalingGroupName(group).desiredCapacity(replicas).honorCooldown(false)));
    }

    /**
     * Pauses the group into its warm pool: writes its desired capacity into the tag {@value
     * #PAUSED_TAG} (state lives in AWS), then scales it to zero, so that the warm pool's instance
     * reuse takes its instances back stopped or hibernated instead of terminating them. While the
     * tag is there the group is reported with that desired count and its warm-pool instances (up
     * to it) as paused replicas. Needs a warm pool with {@code InstanceReusePolicy.ReuseOnScaleIn}
     * ({@code NO_WARM_POOL} otherwise, before anything is written); a MinSize above 0 needs {@code
     * lower-min-size} as a scale to zero does. Idempotent: a paused group is left as it is.
     */
    @Override
    public void pause(TargetRef target) {
        GroupSettings settings = settings(target);
        AutoScalingGroup group = describeOne(settings);
        if (pausedCapacity(group) != null || group.desiredCapacity() == 0) {
            return;
        }
        WarmPoolConfiguration pool = group.warmPoolConfiguration();
        boolean reuse = pool != null && pool.instanceReusePolicy() != null && Boolean.TRUE.equals(pool.instanceReusePolicy().reuseOnScaleIn());
        if (!reuse) {
            throw new ZeroscaleException(AwsErrorCode.NO_WARM_POOL, "cannot pause Auto Scaling group '" + settings.groupName() + "': "
                    + (pool == null ? "it has no warm pool" : "its warm pool does not reuse instances on scale-in")
                    + ", so a scale-in would terminate its instances; add a warm pool with PutWarmPool and"
                    + " InstanceReusePolicy ReuseOnScaleIn=true (PoolState Stopped or Hibernated), or remove the target's policy pause-after");
        }
        checkLimits(settings, group, 0);
        int capacity = group.desiredCapacity();
        writeTag(settings, PAUSED_TAG, capacity);
        log.info("pausing Auto Scaling group '{}': its {} instance(s) go to its warm pool ({}), desired capacity {} kept in tag {}",
                settings.groupName(), capacity, pool.poolStateAsString() == null ? "Stopped" : pool.poolStateAsString(), capacity, PAUSED_TAG);
        setCapacity(settings, group, 0);
    }

    /**
     * Resumes a paused group from its warm pool: sets the desired capacity from the tag {@value
     * #PAUSED_TAG} back (AWS takes warmed instances from the pool first and launches only the
     * rest), then deletes the tag. Each instance is announced with {@link
     * WorkloadEvent.ReplicaStarted}, tier {@value #TIER_WARM_POOL} or {@value #TIER_LAUNCHED}; a
     * pool with fewer warmed instances than wanted is logged as a fallback to launching.
     * Idempotent: a group that is not paused is left as it is.
     */
    @Override
    public void resume(TargetRef target) {
        GroupSettings settings = settings(target);
        AutoScalingGroup group = describeOne(settings);
        Integer paused = pausedCapacity(group);
        if (paused == null) {
            return;
        }
        if (paused > group.desiredCapacity()) {
            expectStarts(settings, group, paused);
        }
        setCapacity(settings, group, paused);
        deleteTag(settings, PAUSED_TAG);
    }

    /**
     * Before a scale-up of a group with a warm pool: notes which instances are warmed in the pool,
     * so the poll announces each new instance's tier, and logs when the pool cannot cover the
     * scale-up (those instances are launched: a cold start).
     */
    private void expectStarts(GroupSettings settings, AutoScalingGroup group, int replicas) {
        if (group.warmPoolConfiguration() == null) {
            return;
        }
        Set<String> warm = new HashSet<>();
        for (software.amazon.awssdk.services.autoscaling.model.Instance instance : warmPool(settings.groupName())) {
            if (warmed(instance.lifecycleStateAsString())) {
                warm.add(instance.instanceId());
            }
        }
        int wanted = replicas - group.desiredCapacity();
        if (warm.size() < wanted) {
            log.warn("the warm pool of Auto Scaling group '{}' has {} warmed instance(s) for {} wanted: {} launched new instead (a cold start)",
                    settings.groupName(), warm.size(), wanted, wanted - warm.size());
        } else {
            log.info("Auto Scaling group '{}': {} instance(s) from its warm pool", settings.groupName(), wanted);
        }
        Set<String> before = new HashSet<>();
        group.instances().forEach(instance -> before.add(instance.instanceId()));
        starts.put(settings.groupName(), new Starts(before, warm, wanted, ConcurrentHashMap.newKeySet()));
    }

    /** The instances of the group's warm pool, every page. */
    private List<software.amazon.awssdk.services.autoscaling.model.Instance> warmPool(String group) {
        List<software.amazon.awssdk.services.autoscaling.model.Instance> found = new ArrayList<>();
        String token = null;
        do {
            String next = token;
            DescribeWarmPoolResponse page = AwsErrors.call("DescribeWarmPool of group " + group, "the target's workload name",
                    () -> autoScaling.describeWarmPool(r -> r.autoScalingGroupName(group).nextToken(next)));
            found.addAll(page.instances());
            token = page.nextToken();
        } while (token != null && !token.isEmpty());
        return found;
    }

    /**
     * The instances of a paused group's warm pool (none for a group that is not paused): {@code
     * warmed} are stopped or hibernated ({@code Warmed:Stopped}, {@code Warmed:Hibernated}, or
     * {@code Warmed:Running} for a pool kept running), {@code warming} still on their way there
     * ({@code Warmed:Pending*}). Only warmed ones are paused: a scale-out takes only warmed
     * instances from the pool, so an instance still warming is pausing, not paused.
     */
    record PoolCount(int warmed, int warming) {
        static final PoolCount NONE = new PoolCount(0, 0);
    }

    private PoolCount pooledInstances(AutoScalingGroup group) {
        if (pausedCapacity(group) == null) {
            return PoolCount.NONE;
        }
        int warmed = 0;
        int warming = 0;
        for (software.amazon.awssdk.services.autoscaling.model.Instance instance : warmPool(group.autoScalingGroupName())) {
            String state = instance.lifecycleStateAsString();
            if (warmed(state)) {
                warmed++;
            } else if (state != null && state.startsWith("Warmed:Pending")) {
                warming++;
            }
        }
        return new PoolCount(warmed, warming);
    }

    /** A warm-pool instance that finished entering the pool: a scale-out can take it. */
    static boolean warmed(@Nullable String state) {
        return "Warmed:Stopped".equals(state) || "Warmed:Hibernated".equals(state) || "Warmed:Running".equals(state);
    }

    /** The tier of each instance new since a scale-up of a warm-pool group, once it is in the group. */
    private void announceStarts(GroupSettings settings, AutoScalingGroup group) {
        Starts expected = starts.get(group.autoScalingGroupName());
        if (expected == null) {
            return;
        }
        List<WorkloadEvent> events = new ArrayList<>();
        for (Instance instance : group.instances()) {
            String id = instance.instanceId();
            if (exists(instance) && !expected.before().contains(id) && expected.announced().add(id)) {
                events.add(new WorkloadEvent.ReplicaStarted(id, expected.warm().contains(id) ? TIER_WARM_POOL : TIER_LAUNCHED));
            }
        }
        if (expected.announced().size() >= expected.count()) {
            starts.remove(group.autoScalingGroupName(), expected);
        }
        if (!events.isEmpty()) {
            announcements.merge(settings, events, (a, b) -> {
                List<WorkloadEvent> all = new ArrayList<>(a);
                all.addAll(b);
                return all;
            });
        }
    }

    /**
     * Terminates the instances serving at {@code drained} with TerminateInstanceInAutoScalingGroup
     * and {@code ShouldDecrementDesiredCapacity}, so the group lowers its desired capacity instead
     * of replacing them and a following {@code scale} to the new count writes nothing. Endpoints
     * matching no Pending or InService instance of the group (already terminating, gone, not this
     * group's) are ignored, so calling it again changes nothing.
     */
    @Override
    public void remove(TargetRef target, List<Endpoint> drained) {
        GroupSettings settings = settings(target);
        if (drained.isEmpty()) {
            return;
        }
        AutoScalingGroup group = describeOne(settings);
        Map<String, InstanceFacts> facts = learnInstances(List.of(group));
        List<String> release = new ArrayList<>();
        for (Instance instance : group.instances()) {
            String state = instance.lifecycleStateAsString();
            Optional<Endpoint> endpoint = endpoint(instance, settings.port(), facts);
            if (state == null || endpoint.isEmpty() || !drained.contains(endpoint.get())) {
                continue;
            }
            if (state.startsWith("Pending") || state.equals("InService")) {
                log.info("terminating instance {} ({}) of Auto Scaling group '{}', drained, lowering its desired capacity",
                        instance.instanceId(), endpoint.get(), settings.groupName());
                released.add(instance.instanceId());
                AwsErrors.call("TerminateInstanceInAutoScalingGroup of instance " + instance.instanceId() + " of group "
                        + settings.groupName(), settings.settings().pathOf("name"), () -> autoScaling.terminateInstanceInAutoScalingGroup(
                                r -> r.instanceId(instance.instanceId()).shouldDecrementDesiredCapacity(true)));
                release.add(instance.instanceId());
            } else if (state.equals(TERMINATING_WAIT)) {
                release.add(instance.instanceId());
            }
        }
        if (!release.isEmpty()) {
            completeTerminateHooks(settings, release);
        }
    }

    /**
     * Lets instances the gateway drained go on terminating: CompleteLifecycleAction (CONTINUE) for
     * each of the group's terminate lifecycle hooks. Only called after the drain (by {@link
     * #remove}), so an instance waiting in Terminating:Wait serves its in-flight requests until
     * then. An instance no hook holds (no hook, or already gone on) is skipped.
     */
    private void completeTerminateHooks(GroupSettings settings, List<String> instanceIds) {
        String group = settings.groupName();
        List<String> hooks = terminateHooks(settings).stream().map(LifecycleHook::lifecycleHookName).toList();
        for (String hook : hooks) {
            for (String id : instanceIds) {
                try {
                    AwsErrors.call("CompleteLifecycleAction of hook " + hook + " for instance " + id + " of group " + group,
                            settings.settings().pathOf("name"), () -> autoScaling.completeLifecycleAction(r -> r.autoScalingGroupName(group)
                                    .lifecycleHookName(hook).instanceId(id).lifecycleActionResult("CONTINUE")));
                    log.info("instance {} of Auto Scaling group '{}' drained: lifecycle hook '{}' completed, it terminates now", id, group, hook);
                } catch (ZeroscaleException e) {
                    if (e.errorCode() != AwsErrorCode.INVALID_REQUEST || !String.valueOf(e.getMessage()).contains("No active Lifecycle Action")) {
                        throw e;
                    }
                    log.debug("instance {} of Auto Scaling group '{}' is not held by hook '{}'", id, group, hook);
                }
            }
        }
    }

    /** The group's terminate lifecycle hooks (DescribeLifecycleHooks). */
    private List<LifecycleHook> terminateHooks(GroupSettings settings) {
        String group = settings.groupName();
        return AwsErrors.call("DescribeLifecycleHooks of group " + group, settings.settings().pathOf("name"),
                () -> autoScaling.describeLifecycleHooks(r -> r.autoScalingGroupName(group))).lifecycleHooks().stream()
                .filter(hook -> TERMINATING_TRANSITION.equals(hook.lifecycleTransition())).toList();
    }

    /**
     * Keeps the terminate hooks of announced instances from timing out while the gateway drains
     * them: on the first poll at or after half the shortest hook's HeartbeatTimeout (read once per
     * instance with DescribeLifecycleHooks, AWS's default 3600 s when unset) since the
     * announcement or the last heartbeat, RecordLifecycleActionHeartbeat for each terminate hook,
     * which restarts AWS's timeout. A failed heartbeat is logged and tried again on the next poll;
     * an instance no longer waiting (completed by {@link #remove}, or gone) gets no more.
     */
    private void sendHeartbeats(GroupSettings settings, AutoScalingGroup group) {
        String name = settings.groupName();
        Instant now = context.scheduler().clock().instant();
        for (Instance instance : group.instances()) {
            String id = instance.instanceId();
            if (!TERMINATING_WAIT.equals(instance.lifecycleStateAsString()) || !announcedRemovals.contains(id) || released.contains(id)) {
                heartbeats.remove(id);
                continue;
            }
            try {
                Heartbeat beat = heartbeats.get(id);
                if (beat == null) {
                    List<LifecycleHook> hooks = terminateHooks(settings);
                    Duration every = Duration.ofSeconds(hooks.stream().map(LifecycleHook::heartbeatTimeout)
                            .mapToInt(timeout -> timeout == null ? 3600 : timeout).min().orElse(3600)).dividedBy(2);
                    heartbeats.put(id, new Heartbeat(hooks.stream().map(LifecycleHook::lifecycleHookName).toList(), every, now.plus(every)));
                    continue;
                }
                if (now.isBefore(beat.due())) {
                    continue;
                }
                for (String hook : beat.hooks()) {
                    try {
                        AwsErrors.call("RecordLifecycleActionHeartbeat of hook " + hook + " for instance " + id + " of group " + name,
                                settings.settings().pathOf("name"), () -> autoScaling.recordLifecycleActionHeartbeat(
                                        r -> r.autoScalingGroupName(name).lifecycleHookName(hook).instanceId(id)));
                    } catch (ZeroscaleException e) {
                        if (e.errorCode() != AwsErrorCode.INVALID_REQUEST || !String.valueOf(e.getMessage()).contains("No active Lifecycle Action")) {
                            throw e;
                        }
                    }
                }
                log.debug("instance {} of Auto Scaling group '{}' still draining: heartbeat sent to its terminate hook(s) {}", id, name, beat.hooks());
                heartbeats.put(id, new Heartbeat(beat.hooks(), beat.every(), now.plus(beat.every())));
            } catch (ZeroscaleException e) {
                log.warn("heartbeat for instance {} of Auto Scaling group '{}' (held in Terminating:Wait while draining) failed,"
                        + " trying again on the next poll: {}", id, name, e.getMessage());
            }
        }
    }

    /**
     * Announces instances Auto Scaling moves out on its own and a terminate hook holds in
     * Terminating:Wait (instance refresh, AZ rebalancing, a scale-in it chose), each once, so the
     * engine drains them and then calls {@link #remove}, which completes the hook.
     */
    private void announceRemovals(GroupSettings settings, AutoScalingGroup group, Map<String, InstanceFacts> facts) {
        List<Endpoint> endpoints = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (Instance instance : group.instances()) {
            String id = instance.instanceId();
            Optional<Endpoint> endpoint = endpoint(instance, settings.port(), facts);
            if (TERMINATING_WAIT.equals(instance.lifecycleStateAsString()) && endpoint.isPresent() && !released.contains(id)
                    && announcedRemovals.add(id)) {
                endpoints.add(endpoint.get());
                ids.add(id);
            }
        }
        if (!endpoints.isEmpty()) {
            log.info("Auto Scaling is terminating instance(s) {} of group '{}' on its own (Terminating:Wait, held by a terminate"
                    + " lifecycle hook); announced for draining", ids, settings.groupName());
            announcements.merge(settings, List.of(new WorkloadEvent.Removing(endpoints, "Auto Scaling terminates instance(s) " + ids
                    + " of group '" + settings.groupName() + "' (instance refresh, rebalancing or its own scale-in); its terminate"
                    + " lifecycle hook holds them in Terminating:Wait until drained")), (a, b) -> {
                        List<WorkloadEvent> all = new ArrayList<>(a);
                        all.addAll(b);
                        return all;
                    });
        }
    }

    @Override
    public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
        return poller.watch(settings(target), listener);
    }

    /** Polls every watched group now (besides the regular ticks); coalesces with a poll already waiting. */
    void requestPoll() {
        poller.requestPoll();
    }

    /** One round: the state of every watched group that exists, from batched reads. */
    private Map<GroupSettings, ObservedState> read(List<GroupSettings> watched) {
        Map<String, GroupSettings> byName = new LinkedHashMap<>();
        for (GroupSettings settings : watched) {
            byName.putIfAbsent(settings.groupName(), settings);
        }
        Map<String, AutoScalingGroup> found = describeMany(new ArrayList<>(byName.keySet()));
        Map<String, InstanceFacts> facts = learnInstances(found.values());
        List<GroupSettings> present = new ArrayList<>();
        List<AutoScalingGroup> presentGroups = new ArrayList<>();
        for (GroupSettings settings : watched) {
            AutoScalingGroup group = found.get(settings.groupName());
            if (group != null) {
                present.add(settings);
                presentGroups.add(group);
            }
        }
        Set<String> probed = probeAll(present, presentGroups, facts);
        Map<String, Set<String>> healthy = healthy(present);
        Set<String> seen = new HashSet<>();
        Map<GroupSettings, ObservedState> states = new HashMap<>();
        for (int i = 0; i < present.size(); i++) {
            presentGroups.get(i).instances().forEach(instance -> seen.add(instance.instanceId()));
            announceStarts(present.get(i), presentGroups.get(i));
            announceRemovals(present.get(i), presentGroups.get(i), facts);
            sendHeartbeats(present.get(i), presentGroups.get(i));
            states.put(present.get(i), state(present.get(i), presentGroups.get(i), probed, healthy, facts,
                    pooledInstances(presentGroups.get(i))));
        }
        // Only watched groups' instances stay cached, so the cache is bounded by what runs.
        instances.keySet().retainAll(seen);
        released.retainAll(seen);
        announcedRemovals.retainAll(seen);
        heartbeats.keySet().retainAll(seen);
        return states;
    }

    /** DescribeAutoScalingGroups of the named groups: {@value #NAMES_PER_PAGE} names per request, every page. */
    private Map<String, AutoScalingGroup> describeMany(List<String> names) {
        Map<String, AutoScalingGroup> found = new HashMap<>();
        for (int from = 0; from < names.size(); from += NAMES_PER_PAGE) {
            List<String> chunk = names.subList(from, Math.min(names.size(), from + NAMES_PER_PAGE));
            String token = null;
            do {
                String next = token;
                DescribeAutoScalingGroupsRequest request = DescribeAutoScalingGroupsRequest.builder()
                        .autoScalingGroupNames(chunk).maxRecords(NAMES_PER_PAGE).nextToken(next).build();
                DescribeAutoScalingGroupsResponse page = AwsErrors.call("DescribeAutoScalingGroups of " + chunk.size() + " group(s)",
                        "the targets' workload names", () -> autoScaling.describeAutoScalingGroups(request));
                page.autoScalingGroups().forEach(g -> found.put(g.autoScalingGroupName(), g));
                token = page.nextToken();
            } while (token != null && !token.isEmpty());
        }
        return found;
    }

    private AutoScalingGroup describeOne(GroupSettings settings) {
        AutoScalingGroup group = describeMany(List.of(settings.groupName())).get(settings.groupName());
        if (group == null) {
            throw new ZeroscaleException(AwsErrorCode.GROUP_NOT_FOUND, "Auto Scaling group '" + settings.groupName()
                    + "' does not exist in region " + regionText() + "; check " + settings.settings().pathOf("name")
                    + " (defaults to the target's name) and the orchestrator's region");
        }
        return group;
    }

    /**
     * The private IP and launch time of every instance of {@code groups}: from the cache, with one
     * DescribeInstances for those not known yet. The answer is the caller's own copy, so a poll
     * trimming the cache meanwhile cannot make an instance lose its address.
     */
    private Map<String, InstanceFacts> learnInstances(Iterable<AutoScalingGroup> groups) {
        Map<String, InstanceFacts> known = new HashMap<>();
        List<String> unknown = new ArrayList<>();
        for (AutoScalingGroup group : groups) {
            for (Instance instance : group.instances()) {
                InstanceFacts facts = instances.get(instance.instanceId());
                if (facts == null || facts.privateIp() == null) {
                    unknown.add(instance.instanceId());
                } else {
                    known.put(instance.instanceId(), facts);
                }
            }
        }
        for (int from = 0; from < unknown.size(); from += INSTANCES_PER_REQUEST) {
            List<String> chunk = unknown.subList(from, Math.min(unknown.size(), from + INSTANCES_PER_REQUEST));
            String token = null;
            do {
                String next = token;
                DescribeInstancesResponse page = AwsErrors.call("DescribeInstances of " + chunk.size() + " instance(s)",
                        "the orchestrator's region", () -> ec2.describeInstances(r -> r.instanceIds(chunk).nextToken(next)));
                for (Reservation reservation : page.reservations()) {
                    for (software.amazon.awssdk.services.ec2.model.Instance instance : reservation.instances()) {
                        Instant launched = instance.launchTime() == null ? Instant.EPOCH : instance.launchTime();
                        InstanceFacts facts = new InstanceFacts(instance.privateIpAddress(), launched);
                        instances.put(instance.instanceId(), facts);
                        known.put(instance.instanceId(), facts);
                    }
                }
                token = page.nextToken();
            } while (token != null && !token.isEmpty());
        }
        return known;
    }

    /** Runs the readiness probe of every InService instance of the groups that have one; returns the ids that passed. */
    private Set<String> probeAll(List<GroupSettings> settings, List<AutoScalingGroup> groups, Map<String, InstanceFacts> facts) {
        Map<String, CompletableFuture<Boolean>> running = new LinkedHashMap<>();
        for (int i = 0; i < settings.size(); i++) {
            GroupSettings.Readiness readiness = settings.get(i).readiness();
            if (readiness == null) {
                continue;
            }
            int port = settings.get(i).port();
            for (Instance instance : groups.get(i).instances()) {
                Optional<Endpoint> endpoint = endpoint(instance, port, facts);
                if (inService(instance) && endpoint.isPresent()) {
                    running.put(instance.instanceId(), CompletableFuture.supplyAsync(
                            () -> probe.ready(endpoint.get(), readiness), context.blockingExecutor()));
                }
            }
        }
        Set<String> passed = new HashSet<>();
        running.forEach((id, result) -> {
            if (result.join()) {
                passed.add(id);
            }
        });
        return passed;
    }

    /**
     * The targets each target group named by {@code settings}' {@code target-group-arn} reports
     * {@code healthy}, by target group ARN: one DescribeTargetHealth per target group (all its
     * registered targets), however many groups and instances share it.
     */
    private Map<String, Set<String>> healthy(List<GroupSettings> settings) {
        Map<String, GroupSettings> byArn = new LinkedHashMap<>();
        for (GroupSettings one : settings) {
            String arn = one.targetGroupArn();
            if (arn != null) {
                byArn.putIfAbsent(arn, one);
            }
        }
        Map<String, Set<String>> healthy = new HashMap<>();
        byArn.forEach((arn, one) -> {
            List<TargetHealthDescription> described = AwsErrors.call("DescribeTargetHealth of target group " + arn,
                    one.settings().pathOf("target-group-arn"), () -> elb.describeTargetHealth(r -> r.targetGroupArn(arn)))
                    .targetHealthDescriptions();
            Set<String> ids = new HashSet<>();
            for (TargetHealthDescription description : described) {
                if (description.target() != null && description.targetHealth() != null
                        && description.targetHealth().state() == TargetHealthStateEnum.HEALTHY) {
                    ids.add(description.target().id());
                }
            }
            healthy.put(arn, ids);
        });
        return healthy;
    }

    /** The observed state of {@code group}: desired capacity, instances that exist, ready ones oldest first. */
    private ObservedState state(GroupSettings settings, AutoScalingGroup group, Set<String> probed, Map<String, Set<String>> healthy,
            Map<String, InstanceFacts> facts, PoolCount pool) {
        int existing = 0;
        List<Instance> ready = new ArrayList<>();
        List<Instance> listed = group.instances();
        for (Instance instance : listed) {
            if (!exists(instance)) {
                continue;
            }
            existing++;
            if (inService(instance) && endpoint(instance, settings.port(), facts).isPresent()
                    && (settings.readiness() == null || probed.contains(instance.instanceId()))
                    && healthyInTargetGroup(settings, instance, healthy, facts)) {
                ready.add(instance);
            }
        }
        // Oldest first: by launch time, then by the group's own listing order (launch times have
        // whole seconds, and instances launched together share one).
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < listed.size(); i++) {
            position.put(listed.get(i).instanceId(), i);
        }
        ready.sort(Comparator.comparing((Instance i) -> launchTime(i, facts)).thenComparing(i -> position.get(i.instanceId())));
        List<Endpoint> endpoints = new ArrayList<>();
        for (Instance instance : ready) {
            endpoints.add(endpoint(instance, settings.port(), facts).orElseThrow());
        }
        // Paused: the desired count is the one a resume brings back, and the warm pool's instances
        // (up to it) exist, never missing ones; only warmed ones are paused, those still warming
        // (Warmed:Pending) are pausing: they exist, neither ready nor paused yet.
        Integer paused = pausedCapacity(group);
        int desired = paused == null ? group.desiredCapacity() : paused;
        int frozen = paused == null ? 0 : Math.min(paused, pool.warmed());
        int pausing = paused == null ? 0 : Math.min(paused - frozen, pool.warming());
        return new ObservedState(desired, existing + frozen + pausing, endpoints.size(), frozen, endpoints,
                context.scheduler().clock().instant());
    }

    /**
     * Whether {@code instance} is {@code healthy} in its target's target group, when one is set: by
     * instance id (an {@code instance} target group) or by private IP (an {@code ip} one).
     */
    private static boolean healthyInTargetGroup(GroupSettings settings, Instance instance, Map<String, Set<String>> healthy,
            Map<String, InstanceFacts> facts) {
        String arn = settings.targetGroupArn();
        if (arn == null) {
            return true;
        }
        Set<String> ids = healthy.getOrDefault(arn, Set.of());
        InstanceFacts known = facts.get(instance.instanceId());
        return ids.contains(instance.instanceId()) || (known != null && known.privateIp() != null && ids.contains(known.privateIp()));
    }

    private static Instant launchTime(Instance instance, Map<String, InstanceFacts> facts) {
        InstanceFacts known = facts.get(instance.instanceId());
        return known == null ? Instant.EPOCH : known.launchTime();
    }

    private static Optional<Endpoint> endpoint(Instance instance, int port, Map<String, InstanceFacts> facts) {
        InstanceFacts known = facts.get(instance.instanceId());
        String ip = known == null ? null : known.privateIp();
        return ip == null || ip.isBlank() ? Optional.empty() : Optional.of(new Endpoint(ip, port));
    }

    /** Launching, running or on its way out: it exists. Detached, in standby or in a warm pool: not a replica. */
    static boolean exists(Instance instance) {
        String state = instance.lifecycleStateAsString();
        return state != null && (state.startsWith("Pending") || state.equals("InService") || state.startsWith("Terminating"));
    }

    /**
     * InService and healthy, or held in Terminating:Wait by a terminate hook: it serves until the
     * gateway drained it (the engine takes an announced instance out of the route itself).
     */
    static boolean inService(Instance instance) {
        String state = instance.lifecycleStateAsString();
        return ("InService".equals(state) || TERMINATING_WAIT.equals(state)) && !"Unhealthy".equalsIgnoreCase(instance.healthStatus());
    }

    private static @Nullable Integer originalMinSize(AutoScalingGroup group) {
        return intTag(group, MIN_SIZE_TAG);
    }

    /** The desired capacity a pause kept in {@value #PAUSED_TAG}; null when the group is not paused. */
    static @Nullable Integer pausedCapacity(AutoScalingGroup group) {
        return intTag(group, PAUSED_TAG);
    }

    private static @Nullable Integer intTag(AutoScalingGroup group, String key) {
        for (TagDescription tag : group.tags()) {
            if (key.equals(tag.key())) {
                try {
                    return Integer.parseInt(tag.value().trim());
                } catch (NumberFormatException e) {
                    log.warn("Auto Scaling group '{}' has tag {}='{}', which is not a number; ignored",
                            group.autoScalingGroupName(), key, tag.value());
                }
            }
        }
        return null;
    }

    private GroupSettings settings(TargetRef target) {
        GroupSettings settings = groups.get(requireNonNull(target, "target is null"));
        if (settings == null) {
            throw new ZeroscaleException(AwsErrorCode.UNKNOWN_TARGET,
                    "target " + target + " was never attached to orchestrator '" + name + "'");
        }
        return settings;
    }

    private String regionText() {
        return String.valueOf(autoScaling.serviceClientConfiguration().region());
    }

    @Override
    public void close() {
        poller.close();
        try {
            resources.close();
        } catch (Exception e) {
            log.warn("orchestrator {}: closing the AWS clients failed", name, e);
        }
    }

    @Override
    public String toString() {
        return "aws-autoscaling orchestrator '" + name + "' (" + regionText() + ")";
    }
}
