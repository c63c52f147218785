package io.zeroscale.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.jspecify.annotations.Nullable;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * A loopback HTTP proxy in front of moto's server for the AWS Query APIs (Auto Scaling, EC2) and
 * ECS's JSON API, adding what moto does not emulate, each from AWS's documentation rather than from
 * the plugin:
 *
 * <ul>
 *   <li>Boot time: an Auto Scaling instance goes Pending → InService ("Amazon EC2 Auto Scaling
 *       instance lifecycle"); moto makes it InService at once. With {@link #pendingFor}, every
 *       instance that a DescribeAutoScalingGroups answer lists as InService is rewritten to {@code
 *       Pending} until that long after the proxy first saw it; once answered InService, an
 *       instance stays so (the lifecycle never goes back to Pending).
 *   <li>Throttling: {@link #throttle} makes the next calls of an action fail as AWS does when a
 *       request rate is exceeded: Auto Scaling answers HTTP 400 with error code {@code Throttling}
 *       ("Rate exceeded") in the Query API's {@code ErrorResponse} shape; EC2 answers HTTP 503 with
 *       {@code RequestLimitExceeded} in its {@code Response/Errors} shape; ECS answers HTTP 400 with
 *       {@code ThrottlingException} in the JSON protocol's {@code __type} shape.
 *   <li>ECS's service scheduler ("Amazon ECS services"): moto's UpdateService only sets the
 *       counts and starts no task. After each UpdateService the proxy makes the service's tasks
 *       match its desiredCount, launching them as the scheduler does (RunTask with the service's
 *       task definition, launch type and awsvpc configuration, so each task gets an elastic
 *       network interface with a private IP; {@code group} {@code service:<name>}) or stopping
 *       the newest surplus ones; DescribeServices answers runningCount and pendingCount from the
 *       tasks (moto copies desiredCount). With {@link #pendingFor}, a RUNNING task is answered as
 *       {@code PENDING} (no {@code startedAt}) until that long after the proxy first saw it, as
 *       PROVISIONING → PENDING → RUNNING takes time on AWS. moto's own task state machine, which
 *       moves a task towards STOPPED each time it is described, is set to stay put.
 *   <li>ELBv2 target health ("Health checks for Application Load Balancer target groups"): moto
 *       runs no health checks and answers every registered running instance {@code healthy} at
 *       once. With {@link #initialHealthChecks}, DescribeTargetHealth answers such a target
 *       {@code initial} until that long after it first answered it (a new target is until it
 *       passed its checks); {@link #failHealthChecks} answers a target {@code unhealthy}.
 * </ul>
 *
 * It also counts every call by IAM action name ({@code autoscaling:SetDesiredCapacity}, the
 * service taken from the SigV4 credential scope, the action from the form body or, for a JSON API,
 * the {@code X-Amz-Target} header), each page of a
 * paged Describe being one call. A proxy in front of the plugin ({@link #start}) also adds each
 * action to {@link #ALL_ACTIONS}, the actions the plugin called through any proxy of the test JVM
 * (the IAM policy test compares them with the policy); one for other clients ({@link
 * #startUnrecorded}) does not.
 */
public final class AwsTestProxy implements AutoCloseable {
    /** Every IAM action the plugin called through a proxy of this JVM (forwarded or throttled). */
    private static final Set<String> ALL_ACTIONS = ConcurrentHashMap.newKeySet();

    private static final Pattern SCOPE = Pattern.compile("Credential=[^/,]+/\\d{8}/([^/,]+)/([^/,]+)/aws4_request");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> HOP_HEADERS = Set.of("host", "content-length", "connection", "expect", "upgrade",
            "transfer-encoding", "keep-alive");

    private final URI upstream;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> throttles = new ConcurrentHashMap<>();
    private final AtomicInteger throttled = new AtomicInteger();
    private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
    /** Instances (and tasks) already answered as InService (RUNNING): they stay so, whatever {@link #pendingFor} says later. */
    private final Set<String> inService = ConcurrentHashMap.newKeySet();
    private volatile Duration pending = Duration.ZERO;
    /** When the proxy's scheduler launched a task, and when it was first answered as RUNNING. */
    private final Map<String, Instant> createdAt = new ConcurrentHashMap<>();
    private final Map<String, Instant> startedAt = new ConcurrentHashMap<>();
    private final boolean recorded;
    /** Warm pools' instances (the proxy's, moto keeps none): region/group → instance id → when it entered the pool. */
    private final Map<String, LinkedHashMap<String, Long>> warmPools = new ConcurrentHashMap<>();
    /** Instances taken from a warm pool into their group: when they left it. */
    private final Map<String, Long> leftPool = new ConcurrentHashMap<>();
    private volatile Duration warming = Duration.ZERO;
    /** Instances held in Terminating:Wait by a terminate lifecycle hook, by instance id. */
    private final Map<String, HookWait> hookWaits = new ConcurrentHashMap<>();
    /** How long one second of a lifecycle hook's heartbeat timeout lasts here. */
    private volatile Duration hookSecond = Duration.ofSeconds(1);
    private volatile Duration warmStart = Duration.ZERO;
    /** Target ids (instance ids or IPs) first answered by DescribeTargetHealth: when. */
    private final Map<String, Long> firstChecked = new ConcurrentHashMap<>();
    private volatile Duration initialChecks = Duration.ZERO;
    /** Targets whose health checks fail (answered unhealthy). */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();

    private AwsTestProxy(URI upstream, boolean recorded) throws IOException {
        this.upstream = upstream;
        this.recorded = recorded;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
        try {
            keepEcsTasksAsTheyAre();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while setting moto up", e);
        }
    }

    /**
     * moto moves an ECS task one step towards STOPPED each time it is described (its state
     * manager's default for {@code ecs::task}); on AWS a task runs until it is stopped. Set, through
     * moto's own API, to stay put.
     */
    private void keepEcsTasksAsTheyAre() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(upstream.resolve("/moto-api/state-manager/set-transition"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(Map.of("model_name", "ecs::task",
                        "transition", Map.of("progression", "manual", "times", Integer.MAX_VALUE)))))
                .timeout(Duration.ofSeconds(60)).build();
        HttpResponse<String> answer = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 201 && answer.statusCode() != 200) {
            throw new IOException("moto's state manager answered " + answer.statusCode() + ": " + answer.body());
        }
    }

    /**
     * Starts a proxy for the plugin on a free loopback port in front of {@code upstream} (moto's
     * base URL); its calls go into {@link #ALL_ACTIONS}.
     */
    public static AwsTestProxy start(String upstream) {
        return start(upstream, true);
    }

    /** A proxy for other clients (the proxy's own test): its calls stay out of {@link #ALL_ACTIONS}. */
    public static AwsTestProxy startUnrecorded(String upstream) {
        return start(upstream, false);
    }

    private static AwsTestProxy start(String upstream, boolean recorded) {
        try {
            return new AwsTestProxy(URI.create(upstream), recorded);
        } catch (IOException e) {
            throw new IllegalStateException("could not start the proxy", e);
        }
    }

    /** Every IAM action called through a proxy started with {@link #start} in this JVM, sorted. */
    public static Set<String> allActions() {
        return new TreeSet<>(ALL_ACTIONS);
    }

    /** The proxy's base URL: the SDK's endpoint override. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next {@code times} calls of {@code action} (e.g. {@code autoscaling:SetDesiredCapacity}) are throttled. */
    public void throttle(String action, int times) {
        throttles.computeIfAbsent(action, a -> new AtomicInteger()).addAndGet(times);
    }

    /** Instances stay Pending this long after the proxy first saw them (zero: as moto says). */
    public void pendingFor(Duration duration) {
        this.pending = duration;
    }

    /**
     * Warm pools: an instance entering a pool is {@code Warmed:Pending} for {@code warming}, then
     * warmed ({@code Warmed:Stopped}, {@code Warmed:Hibernated} or {@code Warmed:Running}, the
     * pool's PoolState); an instance taken from a pool into its group is {@code Pending} for
     * {@code warmStart} (a start, not a launch), then InService. Zero: at once.
     */
    public void warmPoolTimes(Duration warming, Duration warmStart) {
        this.warming = warming;
        this.warmStart = warmStart;
    }

    /**
     * ELBv2 target health: a target moto answers {@code healthy} (moto runs no health checks: every
     * registered running instance is healthy at once) is answered {@code initial}
     * ({@code Elb.RegistrationInProgress}) until {@code duration} after DescribeTargetHealth first
     * answered it, as a new target is until it passed HealthyThresholdCount checks. Zero: as moto says.
     */
    public void initialHealthChecks(Duration duration) {
        this.initialChecks = duration;
    }

    /**
     * ELBv2 target health: while {@code failing}, target {@code id} (an instance id or IP) that moto
     * answers {@code healthy} is answered {@code unhealthy} ({@code Target.FailedHealthChecks}).
     */
    public void failHealthChecks(String id, boolean failing) {
        if (failing) {
            this.failing.add(id);
        } else {
            this.failing.remove(id);
        }
    }

    /**
     * One second of a lifecycle hook's {@code HeartbeatTimeout} lasts {@code second} here (AWS's
     * minimum timeout is 30 s: a test may compress it).
     */
    public void hookSecond(Duration second) {
        this.hookSecond = second;
    }

    /**
     * Removes instance {@code instanceId} as Auto Scaling does on its own (an instance refresh,
     * AZ rebalancing, a health replacement): without decrementing the desired capacity, so a
     * replacement is launched; with a terminate lifecycle hook the instance first waits in {@code
     * Terminating:Wait}, as for any termination.
     */
    public void terminateAsAutoScaling(String region, String instanceId) {
        try {
            if (!holdForHook(region, instanceId, false)) {
                query(region, "autoscaling", Map.of("Action", "TerminateInstanceInAutoScalingGroup", "InstanceId", instanceId,
                        "ShouldDecrementDesiredCapacity", "false"));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The instances waiting in Terminating:Wait, sorted. */
    public Set<String> terminatingWait() {
        return new TreeSet<>(hookWaits.keySet());
    }

    /** Calls of {@code action} so far, throttled ones included. */
    public int calls(String action) {
        AtomicInteger count = calls.get(action);
        return count == null ? 0 : count.get();
    }

    /** Calls answered with a throttling error so far. */
    public int throttled() {
        return throttled.get();
    }

    /** The actions this proxy saw, sorted. */
    public Set<String> actions() {
        return new TreeSet<>(calls.keySet());
    }

    /** Every call in order, as IAM action names. */
    public List<String> log() {
        return List.copyOf(log);
    }

    /** Forgets the counts (not the instances' first sightings, nor {@link #ALL_ACTIONS}). */
    public void resetCounts() {
        calls.clear();
        log.clear();
        throttled.set(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String action = action(exchange, body);
            String region = region(exchange);
            calls.computeIfAbsent(action, a -> new AtomicInteger()).incrementAndGet();
            log.add(action);
            if (recorded) {
                ALL_ACTIONS.add(action);
            }
            AtomicInteger left = throttles.get(action);
            if (left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throttled.incrementAndGet();
                throttle(exchange, action);
                return;
            }
            Map<String, String> form = action.startsWith("ecs:") ? Map.of() : form(new String(body, UTF_8));
            if (action.equals("autoscaling:SetDesiredCapacity") || action.equals("autoscaling:UpdateAutoScalingGroup")) {
                throughWarmPool(region, form);
            }
            if (action.equals("autoscaling:DescribeAutoScalingGroups")) {
                expireHookWaits();
            }
            if (action.equals("autoscaling:TerminateInstanceInAutoScalingGroup")
                    && holdForHook(region, form.getOrDefault("InstanceId", ""), "true".equals(form.get("ShouldDecrementDesiredCapacity")))) {
                String id = form.getOrDefault("InstanceId", "");
                HookWait wait = hookWaits.get(id);
                reply(exchange, 200, "<TerminateInstanceInAutoScalingGroupResponse xmlns=\"" + AUTOSCALING_XMLNS + "\">"
                        + "<TerminateInstanceInAutoScalingGroupResult><Activity><ActivityId>" + UUID.randomUUID() + "</ActivityId>"
                        + "<AutoScalingGroupName>" + (wait == null ? "" : wait.group) + "</AutoScalingGroupName>"
                        + "<Description>Terminating EC2 instance: " + id + "</Description>"
                        + "<Cause>At " + Instant.now() + " instance " + id + " was taken out of service in response to a user request.</Cause>"
                        + "<StartTime>" + Instant.now() + "</StartTime><StatusCode>InProgress</StatusCode><Progress>0</Progress>"
                        + "</Activity></TerminateInstanceInAutoScalingGroupResult>" + metadata() + "</TerminateInstanceInAutoScalingGroupResponse>");
                return;
            }
            if (action.equals("autoscaling:CompleteLifecycleAction") || action.equals("autoscaling:RecordLifecycleActionHeartbeat")) {
                lifecycleAction(exchange, action.substring(action.indexOf(':') + 1), form);
                return;
            }
            HttpResponse<byte[]> answer = forward(exchange, body);
            byte[] out = answer.body();
            if (answer.statusCode() == 200) {
                switch (action) {
                    case "autoscaling:DescribeAutoScalingGroups" -> out = withBootTime(out);
                    case "autoscaling:DescribeWarmPool" -> out = withWarmInstances(region, form, out);
                    case "autoscaling:DeleteWarmPool" -> warmPools.remove(region + "/" + form.get("AutoScalingGroupName"));
                    case "ec2:TerminateInstances" -> form.forEach((key, value) -> {
                        if (key.startsWith("InstanceId.")) {
                            warmPools.values().forEach(pool -> {
                                synchronized (pool) {
                                    pool.remove(value);
                                }
                            });
                        }
                    });
                    case "ecs:UpdateService" -> schedule(region, JSON.readTree(body));
                    case "ecs:DescribeServices" -> out = withTaskCounts(region, JSON.readTree(body), out);
                    case "ecs:DescribeTasks" -> out = withTaskBootTime(out);
                    case "elasticloadbalancing:DescribeTargetHealth" -> out = withHealthChecks(out);
                    default -> { }
                }
            }
            answer.headers().firstValue("content-type").ifPresent(type -> exchange.getResponseHeaders().set("Content-Type", type));
            exchange.sendResponseHeaders(answer.statusCode(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream stream = exchange.getResponseBody()) {
                    stream.write(out);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            byte[] error = ("proxy failed: " + e).getBytes(UTF_8);
            exchange.sendResponseHeaders(502, error.length);
            exchange.getResponseBody().write(error);
        }
    }

    /** {@code service:Action}: the service from the SigV4 credential scope, the action from the form or query. */
    private static String action(HttpExchange exchange, byte[] body) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        String service = "unknown";
        if (authorization != null) {
            Matcher matcher = SCOPE.matcher(authorization);
            if (matcher.find()) {
                service = matcher.group(2);
            }
        }
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        if (target != null) {
            return service + ":" + target.substring(target.lastIndexOf('.') + 1);
        }
        Map<String, String> form = form(new String(body, UTF_8));
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null) {
            form.putAll(form(query));
        }
        return service + ":" + form.getOrDefault("Action", "?");
    }

    /** The region of the SigV4 credential scope. */
    private static String region(HttpExchange exchange) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization != null) {
            Matcher matcher = SCOPE.matcher(authorization);
            if (matcher.find()) {
                return matcher.group(1);
            }
        }
        return "us-east-1";
    }

    private static Map<String, String> form(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), UTF_8);
            out.put(key, value);
        }
        return out;
    }

    private HttpResponse<byte[]> forward(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(upstream.resolve(exchange.getRequestURI().toString()))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(Duration.ofSeconds(60));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(value -> request.header(name, value));
            }
        });
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Answers as AWS does when a request rate is exceeded, in the calling API's error shape. */
    private void throttle(HttpExchange exchange, String action) throws IOException {
        String requestId = UUID.randomUUID().toString();
        int status;
        String xml;
        String type = "text/xml";
        if (action.startsWith("ecs:")) {
            status = 400;
            type = "application/x-amz-json-1.1";
            xml = "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}";
            exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
        } else if (action.startsWith("ec2:")) {
            status = 503;
            xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                    + "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>" + requestId + "</RequestID></Response>";
        } else {
            status = 400;
            xml = "<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><Error><Type>Sender</Type>"
                    + "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>";
        }
        byte[] out = xml.getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, out.length);
        try (OutputStream stream = exchange.getResponseBody()) {
            stream.write(out);
        }
    }

    /** Rewrites InService to Pending for instances first seen less than {@link #pendingFor} ago. */
    private byte[] withBootTime(byte[] xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document document = factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
            long now = System.nanoTime();
            boolean changed = false;
            NodeList lists = document.getElementsByTagName("Instances");
            for (int i = 0; i < lists.getLength(); i++) {
                for (Node member = lists.item(i).getFirstChild(); member != null; member = member.getNextSibling()) {
                    if (!(member instanceof Element instance)) {
                        continue;
                    }
                    Element id = child(instance, "InstanceId");
                    Element state = child(instance, "LifecycleState");
                    if (id == null || state == null) {
                        continue;
                    }
                    if (hookWaits.containsKey(id.getTextContent())) {
                        state.setTextContent("Terminating:Wait");
                        changed = true;
                        continue;
                    }
                    Long left = leftPool.get(id.getTextContent());
                    boolean starting = left != null ? now - left < warmStart.toNanos() : booting(id.getTextContent(), now);
                    if ("InService".equals(state.getTextContent()) && starting) {
                        state.setTextContent("Pending");
                        changed = true;
                    }
                }
            }
            // A termination with the decrement lowers the desired capacity at once, while the instance waits.
            for (int i = 0; i < lists.getLength(); i++) {
                Element desired = lists.item(i).getParentNode() instanceof Element group ? child(group, "DesiredCapacity") : null;
                if (desired == null) {
                    continue;
                }
                int decrements = 0;
                for (Node member = lists.item(i).getFirstChild(); member != null; member = member.getNextSibling()) {
                    Element id = member instanceof Element instance ? child(instance, "InstanceId") : null;
                    HookWait wait = id == null ? null : hookWaits.get(id.getTextContent());
                    if (wait != null && wait.decrement) {
                        decrements++;
                    }
                }
                if (decrements > 0) {
                    desired.setTextContent(Integer.toString(Integer.parseInt(desired.getTextContent().trim()) - decrements));
                    changed = true;
                }
            }
            if (!changed) {
                return xml;
            }
            var transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter out = new StringWriter();
            transformer.transform(new DOMSource(document), new StreamResult(out));
            return out.toString().getBytes(UTF_8);
        } catch (Exception e) {
            throw new IllegalStateException("could not rewrite a DescribeAutoScalingGroups answer", e);
        }
    }

    /** Rewrites moto's {@code healthy} to {@code initial} or {@code unhealthy}: {@link #initialHealthChecks}, {@link #failHealthChecks}. */
    private byte[] withHealthChecks(byte[] xml) {
        try {
            Document document = parse(xml);
            long now = System.nanoTime();
            boolean changed = false;
            NodeList described = document.getElementsByTagName("TargetHealthDescriptions");
            for (int i = 0; i < described.getLength(); i++) {
                for (Node member = described.item(i).getFirstChild(); member != null; member = member.getNextSibling()) {
                    if (!(member instanceof Element description)) {
                        continue;
                    }
                    Element target = child(description, "Target");
                    Element health = child(description, "TargetHealth");
                    Element id = target == null ? null : child(target, "Id");
                    Element state = health == null ? null : child(health, "State");
                    if (health == null || id == null || state == null || !"healthy".equals(state.getTextContent().trim())) {
                        continue;
                    }
                    long seen = firstChecked.computeIfAbsent(id.getTextContent().trim(), k -> now);
                    String reason;
                    String text;
                    if (now - seen < initialChecks.toNanos()) {
                        state.setTextContent("initial");
                        reason = "Elb.RegistrationInProgress";
                        text = "Target registration is in progress";
                    } else if (failing.contains(id.getTextContent().trim())) {
                        state.setTextContent("unhealthy");
                        reason = "Target.FailedHealthChecks";
                        text = "Health checks failed";
                    } else {
                        continue;
                    }
                    for (String name : List.of("Reason", "Description")) {
                        Element old = child(health, name);
                        if (old != null) {
                            health.removeChild(old);
                        }
                    }
                    health.appendChild(leaf(document, "Reason", reason));
                    health.appendChild(leaf(document, "Description", text));
                    changed = true;
                }
            }
            return changed ? serialize(document) : xml;
        } catch (Exception e) {
            throw new IllegalStateException("could not rewrite a DescribeTargetHealth answer", e);
        }
    }

    /**
     * Whether the instance or task {@code id}, started as far as moto knows, is still booting: first
     * seen less than {@link #pendingFor} ago. Once answered as started it stays so: AWS's
     * lifecycles never go back to Pending.
     */
    private boolean booting(String id, long now) {
        long seen = firstSeen.computeIfAbsent(id, k -> now);
        if (inService.contains(id)) {
            return false;
        }
        if (now - seen < pending.toNanos()) {
            return true;
        }
        inService.add(id);
        return false;
    }

    // ---- ECS: the service scheduler moto does not run -------------------------------------------

    /** The {@code X-Amz-Target} prefix of ECS's JSON API. */
    private static final String ECS_TARGET = "AmazonEC2ContainerServiceV20141113.";

    /**
     * ECS's service scheduler, which moto does not run (its UpdateService only sets counts): after
     * an UpdateService the service's tasks are made to match its desiredCount, new ones launched
     * with RunTask as the scheduler does (the service's task definition, launch type and awsvpc
     * configuration; {@code group} {@code service:<name>}, {@code startedBy} the deployment's id),
     * surplus ones stopped with StopTask, newest first.
     */
    private synchronized void schedule(String region, JsonNode request) throws IOException, InterruptedException {
        String cluster = request.path("cluster").asText("default");
        String name = request.path("service").asText();
        name = name.substring(name.lastIndexOf('/') + 1);
        JsonNode services = ecs(region, "DescribeServices", Map.of("cluster", cluster, "services", List.of(name))).path("services");
        if (services.isEmpty()) {
            return;
        }
        JsonNode service = services.get(0);
        int desired = service.path("desiredCount").asInt();
        List<JsonNode> tasks = serviceTasks(region, cluster, name);
        if (tasks.size() < desired) {
            String startedBy = service.path("deployments").path(0).path("id").asText("ecs-svc/zeroscale-test-proxy");
            for (int missing = desired - tasks.size(); missing > 0; missing -= Math.min(10, missing)) {
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("cluster", cluster);
                run.put("taskDefinition", service.path("taskDefinition").asText());
                run.put("count", Math.min(10, missing)); // RunTask launches at most 10 tasks a call
                run.put("launchType", service.path("launchType").asText("FARGATE"));
                run.put("networkConfiguration", service.path("networkConfiguration"));
                run.put("startedBy", startedBy);
                run.put("group", "service:" + name);
                long launched = System.nanoTime();
                Instant wall = Instant.now();
                // The boot time runs from the launch; createdAt is the launch (moto gives tasks none).
                ecs(region, "RunTask", run).path("tasks").forEach(task -> {
                    firstSeen.putIfAbsent(task.path("taskArn").asText(), launched);
                    createdAt.putIfAbsent(task.path("taskArn").asText(), wall);
                });
            }
        } else {
            // Newest first: moto lists tasks oldest first and gives them no createdAt; the proxy's own record decides.
            Collections.reverse(tasks);
            tasks.sort(Comparator.comparing((JsonNode task) -> createdAt.getOrDefault(task.path("taskArn").asText(), Instant.EPOCH)).reversed());
            for (JsonNode task : tasks.subList(0, tasks.size() - desired)) {
                ecs(region, "StopTask", Map.of("cluster", cluster, "task", task.path("taskArn").asText(),
                        "reason", "Scaling activity initiated by (deployment " + service.path("deployments").path(0).path("id").asText() + ")"));
            }
        }
    }

    /** The tasks of service {@code name} that ECS keeps running (desired status RUNNING), straight from moto. */
    private List<JsonNode> serviceTasks(String region, String cluster, String name) throws IOException, InterruptedException {
        JsonNode arns = ecs(region, "ListTasks", Map.of("cluster", cluster, "desiredStatus", "RUNNING")).path("taskArns");
        List<JsonNode> tasks = new ArrayList<>();
        if (arns.isEmpty()) {
            return tasks;
        }
        List<String> all = new ArrayList<>();
        arns.forEach(arn -> all.add(arn.asText()));
        for (JsonNode task : ecs(region, "DescribeTasks", Map.of("cluster", cluster, "tasks", all)).path("tasks")) {
            if (("service:" + name).equals(task.path("group").asText()) && "RUNNING".equals(task.path("desiredStatus").asText())) {
                tasks.add(task);
            }
        }
        return tasks;
    }

    /** DescribeServices as ECS answers it: runningCount and pendingCount are the service's tasks (moto copies desiredCount). */
    private byte[] withTaskCounts(String region, JsonNode request, byte[] json) throws IOException, InterruptedException {
        ObjectNode answer = (ObjectNode) JSON.readTree(json);
        String cluster = request.path("cluster").asText("default");
        long now = System.nanoTime();
        for (JsonNode node : answer.path("services")) {
            ObjectNode service = (ObjectNode) node;
            int running = 0;
            int pending = 0;
            for (JsonNode task : serviceTasks(region, cluster, service.path("serviceName").asText())) {
                if (booting(task.path("taskArn").asText(), now)) {
                    pending++;
                } else {
                    running++;
                }
            }
            service.put("runningCount", running);
            service.put("pendingCount", pending);
        }
        return JSON.writeValueAsBytes(answer);
    }

    /**
     * DescribeTasks with boot time: a RUNNING task first seen less than {@link #pendingFor} ago is
     * PENDING, not yet started; createdAt (the launch) and startedAt (when first answered RUNNING)
     * filled in as AWS does, since moto gives tasks neither.
     */
    private byte[] withTaskBootTime(byte[] json) throws IOException {
        ObjectNode answer = (ObjectNode) JSON.readTree(json);
        long now = System.nanoTime();
        for (JsonNode node : answer.path("tasks")) {
            ObjectNode task = (ObjectNode) node;
            String arn = task.path("taskArn").asText();
            Instant created = createdAt.get(arn);
            if (created != null && !task.has("createdAt")) {
                task.put("createdAt", seconds(created));
            }
            if (!"RUNNING".equals(task.path("lastStatus").asText())) {
                continue;
            }
            if (booting(arn, now)) {
                task.put("lastStatus", "PENDING");
                task.remove("startedAt");
            } else if (!task.has("startedAt")) {
                // When it was first answered as RUNNING: AWS's startedAt.
                task.put("startedAt", seconds(startedAt.computeIfAbsent(arn, a -> Instant.now())));
            }
        }
        return JSON.writeValueAsBytes(answer);
    }

    /** A timestamp as ECS's JSON protocol writes it: epoch seconds with a fraction. */
    private static double seconds(Instant instant) {
        return instant.getEpochSecond() + instant.getNano() / 1e9;
    }

    /** One call of ECS's JSON API straight to moto (not counted, not throttled). */
    private JsonNode ecs(String region, String operation, Map<String, ?> body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(upstream.resolve("/"))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", ECS_TARGET + operation)
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/" + region
                        + "/ecs/aws4_request, SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
                .timeout(Duration.ofSeconds(60)).build();
        HttpResponse<byte[]> answer = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (answer.statusCode() != 200) {
            throw new IllegalStateException("ecs:" + operation + " answered " + answer.statusCode() + ": " + new String(answer.body(), UTF_8));
        }
        return JSON.readTree(answer.body());
    }

    // ---- Auto Scaling terminate lifecycle hooks: moto stores hooks but never waits for one ----

    private static final String AUTOSCALING_XMLNS = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

    /** An instance in Terminating:Wait: until its hook is completed or its heartbeat timeout passes. */
    private static final class HookWait {
        final String region;
        final String group;
        final String hook;
        final boolean decrement;
        final int heartbeatSeconds;
        volatile long deadline;

        HookWait(String region, String group, String hook, boolean decrement, int heartbeatSeconds, long deadline) {
            this.region = region;
            this.group = group;
            this.hook = hook;
            this.decrement = decrement;
            this.heartbeatSeconds = heartbeatSeconds;
            this.deadline = deadline;
        }
    }

    /**
     * "Amazon EC2 Auto Scaling lifecycle hooks": an instance being terminated of a group with an
     * {@code autoscaling:EC2_INSTANCE_TERMINATING} hook goes to {@code Terminating:Wait} and stays
     * there until CompleteLifecycleAction, or until the hook's HeartbeatTimeout (default 3600 s)
     * passes without a RecordLifecycleActionHeartbeat, when the DefaultResult applies (for a
     * termination, CONTINUE and ABANDON both terminate it). A termination with the decrement
     * lowers the desired capacity at once. Returns whether the instance now waits.
     */
    private boolean holdForHook(String region, String instanceId, boolean decrement) throws IOException, InterruptedException {
        if (instanceId.isEmpty() || hookWaits.containsKey(instanceId)) {
            return hookWaits.containsKey(instanceId);
        }
        Document instances = query(region, "autoscaling", Map.of("Action", "DescribeAutoScalingInstances", "InstanceIds.member.1", instanceId));
        String group = text(instances.getDocumentElement(), "AutoScalingGroupName", "");
        if (group.isEmpty()) {
            return false;
        }
        Document hooks = query(region, "autoscaling", Map.of("Action", "DescribeLifecycleHooks", "AutoScalingGroupName", group));
        NodeList transitions = hooks.getElementsByTagName("LifecycleTransition");
        for (int i = 0; i < transitions.getLength(); i++) {
            if ("autoscaling:EC2_INSTANCE_TERMINATING".equals(transitions.item(i).getTextContent().trim())) {
                Element hook = (Element) transitions.item(i).getParentNode();
                int heartbeat = Integer.parseInt(text(hook, "HeartbeatTimeout", "3600"));
                // Its DefaultResult, CONTINUE or ABANDON, terminates the instance alike.
                hookWaits.put(instanceId, new HookWait(region, group, text(hook, "LifecycleHookName", ""), decrement, heartbeat, System.nanoTime() + hookSecond.toNanos() * heartbeat));
                return true;
            }
        }
        return false;
    }

    /** Waits whose heartbeat timeout passed get their hook's DefaultResult: the termination goes on. */
    private void expireHookWaits() throws IOException, InterruptedException {
        long now = System.nanoTime();
        for (Map.Entry<String, HookWait> wait : List.copyOf(hookWaits.entrySet())) {
            if (now - wait.getValue().deadline >= 0 && hookWaits.remove(wait.getKey(), wait.getValue())) {
                terminate(wait.getKey(), wait.getValue());
            }
        }
    }

    private void terminate(String instanceId, HookWait wait) throws IOException, InterruptedException {
        query(wait.region, "autoscaling", Map.of("Action", "TerminateInstanceInAutoScalingGroup", "InstanceId", instanceId,
                "ShouldDecrementDesiredCapacity", Boolean.toString(wait.decrement)));
    }

    /**
     * CompleteLifecycleAction (the termination proceeds) and RecordLifecycleActionHeartbeat (the
     * timeout starts again), which moto does not have, answered as AWS does; an instance that is
     * not waiting for that group's hook is a ValidationError "No active Lifecycle Action found".
     */
    private void lifecycleAction(HttpExchange exchange, String action, Map<String, String> form) throws IOException, InterruptedException {
        String id = form.getOrDefault("InstanceId", "");
        HookWait wait = hookWaits.get(id);
        if (wait == null || !wait.group.equals(form.get("AutoScalingGroupName")) || !wait.hook.equals(form.get("LifecycleHookName"))) {
            reply(exchange, 400, "<ErrorResponse xmlns=\"" + AUTOSCALING_XMLNS + "\"><Error><Type>Sender</Type><Code>ValidationError</Code>"
                    + "<Message>No active Lifecycle Action found with instance ID " + id + "</Message></Error><RequestId>"
                    + UUID.randomUUID() + "</RequestId></ErrorResponse>");
            return;
        }
        if (action.equals("CompleteLifecycleAction")) {
            if (hookWaits.remove(id, wait)) {
                terminate(id, wait);
            }
        } else {
            wait.deadline = System.nanoTime() + hookSecond.toNanos() * wait.heartbeatSeconds;
        }
        reply(exchange, 200, "<" + action + "Response xmlns=\"" + AUTOSCALING_XMLNS + "\"><" + action + "Result/>" + metadata()
                + "</" + action + "Response>");
    }

    private static String metadata() {
        return "<ResponseMetadata><RequestId>" + UUID.randomUUID() + "</RequestId></ResponseMetadata>";
    }

    private static void reply(HttpExchange exchange, int status, String xml) throws IOException {
        byte[] out = xml.getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        exchange.sendResponseHeaders(status, out.length);
        try (OutputStream stream = exchange.getResponseBody()) {
            stream.write(out);
        }
    }

    // ---- Auto Scaling warm pools: moto stores their configuration but keeps no instance in them ----

    /**
     * A capacity change of a group with a warm pool, as "Warm pools for Amazon EC2 Auto Scaling"
     * documents it, made in moto before the request itself is forwarded. Scale-out takes warmed
     * instances from the pool first, oldest in the pool first (started, then attached: moto's
     * AttachInstances raises the desired capacity by as many), and the forwarded request launches
     * only the rest. Scale-in with {@code InstanceReusePolicy.ReuseOnScaleIn} returns the instances
     * to the pool instead of terminating them: the newest ones (listed last) are detached with the
     * decrement and stopped, entering the pool as {@code Warmed:Pending}. Without reuse, moto's
     * scale-in terminates as usual. Not emulated: the pool filling itself up to its size with new
     * launches (its MinSize, MaxGroupPreparedCapacity) and warm-pool lifecycle hooks.
     */
    private void throughWarmPool(String region, Map<String, String> form) throws IOException, InterruptedException {
        String group = form.get("AutoScalingGroupName");
        String desiredText = form.get("DesiredCapacity");
        if (group == null || desiredText == null) {
            return;
        }
        int desired = Integer.parseInt(desiredText);
        Document described = query(region, "autoscaling", Map.of("Action", "DescribeAutoScalingGroups",
                "AutoScalingGroupNames.member.1", group));
        Element config = first(described.getDocumentElement(), "WarmPoolConfiguration");
        if (config == null) {
            return;
        }
        int current = Integer.parseInt(text(described.getDocumentElement(), "DesiredCapacity", "0"));
        LinkedHashMap<String, Long> pool = warmPools.computeIfAbsent(region + "/" + group, k -> new LinkedHashMap<>());
        long now = System.nanoTime();
        synchronized (pool) {
            if (desired > current) {
                List<String> warmed = new ArrayList<>();
                pool.forEach((id, entered) -> {
                    if (now - entered >= warming.toNanos() && warmed.size() < desired - current) {
                        warmed.add(id);
                    }
                });
                if (warmed.isEmpty()) {
                    return;
                }
                query(region, "ec2", members("StartInstances", "InstanceId.", warmed, Map.of()));
                query(region, "autoscaling", members("AttachInstances", "InstanceIds.member.", warmed, Map.of("AutoScalingGroupName", group)));
                warmed.forEach(id -> {
                    pool.remove(id);
                    leftPool.put(id, now);
                });
            } else if (desired < current && "true".equals(text(config, "ReuseOnScaleIn", "false"))) {
                List<String> running = new ArrayList<>();
                NodeList instances = described.getElementsByTagName("LifecycleState");
                for (int i = 0; i < instances.getLength(); i++) {
                    String state = instances.item(i).getTextContent();
                    if (state.equals("InService") || state.startsWith("Pending")) {
                        running.add(text((Element) instances.item(i).getParentNode(), "InstanceId", ""));
                    }
                }
                List<String> leaving = running.subList(Math.max(0, running.size() - (current - desired)), running.size());
                if (leaving.isEmpty()) {
                    return;
                }
                query(region, "autoscaling", members("DetachInstances", "InstanceIds.member.", leaving,
                        Map.of("AutoScalingGroupName", group, "ShouldDecrementDesiredCapacity", "true")));
                query(region, "ec2", members("StopInstances", "InstanceId.", leaving, Map.of()));
                leaving.forEach(id -> {
                    pool.put(id, now);
                    leftPool.remove(id);
                });
            }
        }
    }

    /**
     * The lifecycle states of the instances in the warm pool of {@code group} as the proxy answers
     * DescribeWarmPool (without calling anything), in the order they entered it; {@code warmed}
     * is the pool's state once warmed, e.g. {@code Warmed:Stopped}.
     */
    public Map<String, String> warmPool(String region, String group, String warmed) {
        LinkedHashMap<String, Long> pool = warmPools.get(region + "/" + group);
        Map<String, String> states = new LinkedHashMap<>();
        if (pool != null) {
            long now = System.nanoTime();
            synchronized (pool) {
                pool.forEach((id, entered) -> states.put(id, now - entered < warming.toNanos() ? "Warmed:Pending" : warmed));
            }
        }
        return states;
    }

    /** DescribeWarmPool with the pool's instances, which moto leaves empty. */
    private byte[] withWarmInstances(String region, Map<String, String> form, byte[] xml) throws IOException {
        LinkedHashMap<String, Long> pool = warmPools.get(region + "/" + form.get("AutoScalingGroupName"));
        if (pool == null) {
            return xml;
        }
        try {
            Document document = parse(xml);
            Element config = first(document.getDocumentElement(), "WarmPoolConfiguration");
            String warmed = "Warmed:" + (config == null ? "Stopped" : text(config, "PoolState", "Stopped"));
            Element list = first(document.getDocumentElement(), "Instances");
            if (list == null) {
                list = document.createElement("Instances");
                Element result = first(document.getDocumentElement(), "DescribeWarmPoolResult");
                (result == null ? document.getDocumentElement() : result).appendChild(list);
            }
            for (Map.Entry<String, String> instance : warmPool(region, form.getOrDefault("AutoScalingGroupName", ""), warmed).entrySet()) {
                Element member = document.createElement("member");
                member.appendChild(leaf(document, "InstanceId", instance.getKey()));
                member.appendChild(leaf(document, "LifecycleState", instance.getValue()));
                member.appendChild(leaf(document, "HealthStatus", "Healthy"));
                member.appendChild(leaf(document, "ProtectedFromScaleIn", "false"));
                list.appendChild(member);
            }
            return serialize(document);
        } catch (Exception e) {
            throw new IllegalStateException("could not rewrite a DescribeWarmPool answer", e);
        }
    }

    private static Map<String, String> members(String action, String prefix, List<String> ids, Map<String, String> more) {
        Map<String, String> params = new LinkedHashMap<>(more);
        params.put("Action", action);
        for (int i = 0; i < ids.size(); i++) {
            params.put(prefix + (i + 1), ids.get(i));
        }
        return params;
    }

    /** One call of a Query API (Auto Scaling, EC2) straight to moto (not counted, not throttled). */
    private Document query(String region, String service, Map<String, String> params) throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder("Version=").append(service.equals("ec2") ? "2016-11-15" : "2011-01-01");
        params.forEach((key, value) -> body.append('&').append(java.net.URLEncoder.encode(key, UTF_8)).append('=')
                .append(java.net.URLEncoder.encode(value, UTF_8)));
        HttpRequest request = HttpRequest.newBuilder(upstream.resolve("/"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/" + region + "/" + service
                        + "/aws4_request, SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .timeout(Duration.ofSeconds(60)).build();
        HttpResponse<byte[]> answer = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (answer.statusCode() != 200) {
            throw new IllegalStateException(service + ":" + params.get("Action") + " answered " + answer.statusCode() + ": "
                    + new String(answer.body(), UTF_8));
        }
        try {
            return parse(answer.body());
        } catch (Exception e) {
            throw new IOException("could not read moto's answer to " + service + ":" + params.get("Action"), e);
        }
    }

    private static Document parse(byte[] xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
    }

    private static byte[] serialize(Document document) throws Exception {
        var transformer = TransformerFactory.newInstance().newTransformer();
        transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
        StringWriter out = new StringWriter();
        transformer.transform(new DOMSource(document), new StreamResult(out));
        return out.toString().getBytes(UTF_8);
    }

    private static Element leaf(Document document, String name, String value) {
        Element element = document.createElement(name);
        element.setTextContent(value);
        return element;
    }

    /** The first descendant element named {@code name}. */
    private static @Nullable Element first(Element parent, String name) {
        NodeList found = parent.getElementsByTagName(name);
        return found.getLength() == 0 ? null : (Element) found.item(0);
    }

    private static String text(Element parent, String name, String otherwise) {
        Element found = first(parent, name);
        return found == null ? otherwise : found.getTextContent().trim();
    }

    private static @Nullable Element child(Element parent, String name) {
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                return element;
            }
        }
        return null;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
        client.close();
    }
}
