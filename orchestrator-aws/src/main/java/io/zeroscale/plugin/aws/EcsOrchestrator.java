package io.zeroscale.plugin.aws;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
import software.amazon.awssdk.services.ecs.EcsClient;
import software.amazon.awssdk.services.ecs.model.Attachment;
import software.amazon.awssdk.services.ecs.model.DescribeServicesResponse;
import software.amazon.awssdk.services.ecs.model.DescribeTasksResponse;
import software.amazon.awssdk.services.ecs.model.DesiredStatus;
import software.amazon.awssdk.services.ecs.model.KeyValuePair;
import software.amazon.awssdk.services.ecs.model.ListTasksResponse;
import software.amazon.awssdk.services.ecs.model.Service;
import software.amazon.awssdk.services.ecs.model.Task;

/**
 * The {@code aws-ecs} orchestrator: one ECS service per target ({@code namespace} = its cluster),
 * in one region.
 *
 * <p>Scaling sets the service's desiredCount (UpdateService; asking for the current count writes
 * nothing). State: every {@code poll-interval}, per cluster, DescribeServices for all watched
 * services ({@value #SERVICES_PER_CALL} a call, the API's limit) and, only when one of them has
 * or wants tasks, ListTasks of the cluster's tasks whose desired status is RUNNING ({@value
 * #TASKS_PER_CALL} a page) and DescribeTasks of them ({@value #TASKS_PER_CALL} a call); a task
 * belongs to the service its {@code group} names ({@code service:<name>}, set by ECS's service
 * scheduler). So a poll costs calls per cluster and per 100 tasks, not per target.
 *
 * <p>Observed state: desired = desiredCount; replicas = tasks ECS keeps running (desired status
 * RUNNING: PROVISIONING through RUNNING); ready = last status RUNNING, health not UNHEALTHY, an
 * awsvpc interface with a private IP, and, when {@code readiness.http} is set, answering it.
 * Endpoints: the task's private IPv4 address and the workload's {@code port}, oldest first.
 *
 * <p>Thread-safe: calls for different targets run concurrently; polls run one at a time (see
 * {@link Poller}).
 */
final class EcsOrchestrator implements Orchestrator, Endpoints {
    private static final Logger log = LoggerFactory.getLogger(EcsOrchestrator.class);
    /** DescribeServices takes at most this many services per call. */
    static final int SERVICES_PER_CALL = 10;
    /** ListTasks' largest page and DescribeTasks' most tasks per call. */
    static final int TASKS_PER_CALL = 100;
    /** The {@code group} ECS's service scheduler gives the tasks of a service: this prefix and the service's name. */
    static final String SERVICE_GROUP = "service:";

    private final String name;
    private final EcsClient ecs;
    private final InstanceProbe probe;
    private final PluginContext context;
    private final AutoCloseable resources;
    private final Map<TargetRef, ServiceSettings> services = new ConcurrentHashMap<>();
    private final Poller<ServiceSettings> poller;

    EcsOrchestrator(String name, AwsConfig config, EcsClient ecs, InstanceProbe probe, PluginContext context, AutoCloseable resources) {
        this.name = requireNonNull(name, "name is null");
        this.ecs = requireNonNull(ecs, "ecs is null");
        this.probe = requireNonNull(probe, "probe is null");
        this.context = requireNonNull(context, "context is null");
        this.resources = requireNonNull(resources, "resources is null");
        this.poller = new Poller<>(name, "ECS service(s)", config.pollInterval(), context, this::read, ServiceSettings::target,
                s -> "ECS service '" + s.serviceName() + "' of cluster '" + s.cluster() + "'");
    }

    @Override
    public void attach(Workload workload) {
        services.put(workload.target(), ServiceSettings.parse(workload.target(), workload.settings()));
    }

    /** Stops polling the service and forgets its settings; the service keeps its desired count. */
    @Override
    public void detach(Workload workload) {
        poller.forget(workload.target());
        services.remove(workload.target());
    }

    @Override
    public ObservedState observe(TargetRef target) {
        ServiceSettings settings = settings(target);
        ObservedState state = read(List.of(settings)).get(settings);
        if (state == null) {
            throw notFound(settings);
        }
        return state;
    }

    @Override
    public void scale(TargetRef target, int replicas) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
        }
        ServiceSettings settings = settings(target);
        String fix = settings.settings().pathOf("name") + " and " + settings.settings().pathOf("namespace") + " (the cluster)";
        Service current = describe(settings.cluster(), List.of(settings.serviceName()), fix).get(settings.serviceName());
        if (current == null) {
            throw notFound(settings);
        }
        if (current.desiredCount() != null && current.desiredCount() == replicas) {
            return;
        }
        AwsErrors.call("UpdateService of ECS service " + settings.serviceName(), fix,
                () -> ecs.updateService(r -> r.cluster(settings.cluster()).service(settings.serviceName()).desiredCount(replicas)));
    }

    @Override
    public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
        return poller.watch(settings(target), listener);
    }

    /** One round: the state of every service of {@code watched} that exists and is not INACTIVE. */
    private Map<ServiceSettings, ObservedState> read(List<ServiceSettings> watched) {
        Map<String, List<ServiceSettings>> byCluster = new LinkedHashMap<>();
        for (ServiceSettings settings : watched) {
            byCluster.computeIfAbsent(settings.cluster(), c -> new ArrayList<>()).add(settings);
        }
        Map<ServiceSettings, ObservedState> states = new HashMap<>();
        for (Map.Entry<String, List<ServiceSettings>> cluster : byCluster.entrySet()) {
            List<String> names = new ArrayList<>(new LinkedHashSet<>(cluster.getValue().stream().map(ServiceSettings::serviceName).toList()));
            String fix = cluster.getValue().size() == 1 ? cluster.getValue().get(0).settings().pathOf("namespace")
                    : "the targets' workload namespace (the cluster)";
            Map<String, Service> found;
            try {
                found = describe(cluster.getKey(), names, fix);
            } catch (ZeroscaleException e) {
                if (e.errorCode() != AwsErrorCode.INVALID_REQUEST) {
                    throw e;
                }
                // One wrong cluster must not blind the others: its services are reported as not found.
                log.warn("orchestrator {}: {}", name, e.getMessage());
                continue;
            }
            boolean anyTasks = found.values().stream().anyMatch(s -> count(s.desiredCount()) + count(s.runningCount()) + count(s.pendingCount()) > 0);
            Map<String, List<Task>> tasks = anyTasks ? tasks(cluster.getKey(), fix) : Map.of();
            Set<String> probed = probeAll(cluster.getValue(), tasks);
            for (ServiceSettings settings : cluster.getValue()) {
                Service service = found.get(settings.serviceName());
                if (service != null) {
                    states.put(settings, state(settings, service, tasks.getOrDefault(settings.serviceName(), List.of()), probed));
                }
            }
        }
        return states;
    }

    /** DescribeServices of {@code names} in {@code cluster}, {@value #SERVICES_PER_CALL} a call; INACTIVE (deleted) ones left out. */
    private Map<String, Service> describe(String cluster, List<String> names, String fix) {
        Map<String, Service> found = new HashMap<>();
        for (int from = 0; from < names.size(); from += SERVICES_PER_CALL) {
            List<String> chunk = names.subList(from, Math.min(names.size(), from + SERVICES_PER_CALL));
            DescribeServicesResponse answer = AwsErrors.call("DescribeServices of " + chunk.size() + " service(s) of cluster " + cluster,
                    fix, () -> ecs.describeServices(r -> r.cluster(cluster).services(chunk)));
            for (Service service : answer.services()) {
                if (!"INACTIVE".equals(service.status())) {
                    found.put(service.serviceName(), service);
                }
            }
        }
        return found;
    }

    /** The tasks ECS keeps running in {@code cluster}, by the name of the service they belong to. */
    private Map<String, List<Task>> tasks(String cluster, String fix) {
        List<String> arns = new ArrayList<>();
        String token = null;
        do {
            String next = token;
            ListTasksResponse page = AwsErrors.call("ListTasks of cluster " + cluster, fix, () -> ecs.listTasks(
                    r -> r.cluster(cluster).desiredStatus(DesiredStatus.RUNNING).maxResults(TASKS_PER_CALL).nextToken(next)));
            arns.addAll(page.taskArns());
            token = page.nextToken();
        } while (token != null && !token.isEmpty());
        Map<String, List<Task>> byService = new HashMap<>();
        for (int from = 0; from < arns.size(); from += TASKS_PER_CALL) {
            List<String> chunk = arns.subList(from, Math.min(arns.size(), from + TASKS_PER_CALL));
            DescribeTasksResponse answer = AwsErrors.call("DescribeTasks of " + chunk.size() + " task(s) of cluster " + cluster, fix,
                    () -> ecs.describeTasks(r -> r.cluster(cluster).tasks(chunk)));
            for (Task task : answer.tasks()) {
                String group = task.group();
                if (group != null && group.startsWith(SERVICE_GROUP) && "RUNNING".equals(task.desiredStatus())) {
                    byService.computeIfAbsent(group.substring(SERVICE_GROUP.length()), s -> new ArrayList<>()).add(task);
                }
            }
        }
        return byService;
    }

    /** Runs the readiness probe of every RUNNING task of the services that have one; returns the ARNs that passed. */
    private Set<String> probeAll(List<ServiceSettings> settings, Map<String, List<Task>> tasks) {
        Map<String, CompletableFuture<Boolean>> running = new LinkedHashMap<>();
        for (ServiceSettings service : settings) {
            GroupSettings.Readiness readiness = service.readiness();
            if (readiness == null) {
                continue;
            }
            for (Task task : tasks.getOrDefault(service.serviceName(), List.of())) {
                Optional<Endpoint> endpoint = endpoint(task, service.port());
                if (running(task) && endpoint.isPresent()) {
                    running.put(task.taskArn(), CompletableFuture.supplyAsync(
                            () -> probe.ready(endpoint.get(), readiness), context.blockingExecutor()));
                }
            }
        }
        Set<String> passed = new HashSet<>();
        running.forEach((arn, result) -> {
            if (result.join()) {
                passed.add(arn);
            }
        });
        return passed;
    }

    private ObservedState state(ServiceSettings settings, Service service, List<Task> tasks, Set<String> probed) {
        List<Task> ready = new ArrayList<>();
        for (Task task : tasks) {
            if (running(task) && endpoint(task, settings.port()).isPresent()
                    && (settings.readiness() == null || probed.contains(task.taskArn()))) {
                ready.add(task);
            }
        }
        ready.sort(Comparator.comparing(EcsOrchestrator::startedAt).thenComparing(Task::taskArn));
        List<Endpoint> endpoints = ready.stream().map(task -> endpoint(task, settings.port()).orElseThrow()).toList();
        return new ObservedState(count(service.desiredCount()), tasks.size(), endpoints.size(), 0, endpoints,
                context.scheduler().clock().instant());
    }

    /** RUNNING and not failing its container health checks (UNKNOWN: it has none, or they have not run yet). */
    static boolean running(Task task) {
        return "RUNNING".equals(task.lastStatus()) && !"UNHEALTHY".equals(task.healthStatusAsString());
    }

    private static Instant startedAt(Task task) {
        Instant started = task.startedAt() != null ? task.startedAt() : task.createdAt();
        return started == null ? Instant.EPOCH : started;
    }

    /** The private IPv4 address of the task's awsvpc network interface, and {@code port}. */
    static Optional<Endpoint> endpoint(Task task, int port) {
        for (Attachment attachment : task.attachments()) {
            if (!"ElasticNetworkInterface".equals(attachment.type())) {
                continue;
            }
            for (KeyValuePair detail : attachment.details()) {
                if ("privateIPv4Address".equals(detail.name()) && detail.value() != null && !detail.value().isBlank()) {
                    return Optional.of(new Endpoint(detail.value(), port));
                }
            }
        }
        return Optional.empty();
    }

    private static int count(@Nullable Integer value) {
        return value == null ? 0 : value;
    }

    private ZeroscaleException notFound(ServiceSettings settings) {
        return new ZeroscaleException(AwsErrorCode.SERVICE_NOT_FOUND, "ECS service '" + settings.serviceName() + "' does not exist in cluster '"
                + settings.cluster() + "' of region " + ecs.serviceClientConfiguration().region() + "; check " + settings.settings().pathOf("name")
                + " (defaults to the target's name), " + settings.settings().pathOf("namespace") + " (the cluster, default '"
                + ServiceSettings.DEFAULT_CLUSTER + "') and the orchestrator's region");
    }

    private ServiceSettings settings(TargetRef target) {
        ServiceSettings settings = services.get(requireNonNull(target, "target is null"));
        if (settings == null) {
            throw new ZeroscaleException(AwsErrorCode.UNKNOWN_TARGET, "target " + target + " was never attached to orchestrator '" + name + "'");
        }
        return settings;
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
        return "aws-ecs orchestrator '" + name + "' (" + ecs.serviceClientConfiguration().region() + ")";
    }
}
