package io.zeroscale.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;

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
 * A loopback HTTP proxy in front of moto's server for the AWS Query APIs (Auto Scaling, EC2), adding
 * what moto does not emulate, each from AWS's documentation rather than from the plugin:
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
 *       {@code RequestLimitExceeded} in its {@code Response/Errors} shape.
 * </ul>
 *
 * It also counts every call by IAM action name ({@code autoscaling:SetDesiredCapacity}, the
 * service taken from the SigV4 credential scope, the action from the form body), each page of a
 * paged Describe being one call. A proxy in front of the plugin ({@link #start}) also adds each
 * action to {@link #ALL_ACTIONS}, the actions the plugin called through any proxy of the test JVM
 * (the IAM policy test compares them with the policy); one for other clients ({@link
 * #startUnrecorded}) does not.
 */
public final class AwsTestProxy implements AutoCloseable {
    /** Every IAM action the plugin called through a proxy of this JVM (forwarded or throttled). */
    private static final Set<String> ALL_ACTIONS = ConcurrentHashMap.newKeySet();

    private static final Pattern SCOPE = Pattern.compile("Credential=[^/,]+/\\d{8}/[^/,]+/([^/,]+)/aws4_request");
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
    /** Instances already answered as InService: they stay so, whatever {@link #pendingFor} says later. */
    private final Set<String> inService = ConcurrentHashMap.newKeySet();
    private volatile Duration pending = Duration.ZERO;
    private final boolean recorded;

    private AwsTestProxy(URI upstream, boolean recorded) throws IOException {
        this.upstream = upstream;
        this.recorded = recorded;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
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
            HttpResponse<byte[]> answer = forward(exchange, body);
            byte[] out = answer.body();
            if (action.equals("autoscaling:DescribeAutoScalingGroups") && answer.statusCode() == 200) {
                out = withBootTime(out);
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
        } catch (RuntimeException e) {
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
                service = matcher.group(1);
            }
        }
        Map<String, String> form = form(new String(body, UTF_8));
        String query = exchange.getRequestURI().getRawQuery();
        if (query != null) {
            form.putAll(form(query));
        }
        return service + ":" + form.getOrDefault("Action", "?");
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
        if (action.startsWith("ec2:")) {
            status = 503;
            xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                    + "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>" + requestId + "</RequestID></Response>";
        } else {
            status = 400;
            xml = "<ErrorResponse xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\"><Error><Type>Sender</Type>"
                    + "<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>" + requestId + "</RequestId></ErrorResponse>";
        }
        byte[] out = xml.getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
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
            long pendingNanos = pending.toNanos();
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
                    String instanceId = id.getTextContent();
                    long seen = firstSeen.computeIfAbsent(instanceId, k -> now);
                    if (!"InService".equals(state.getTextContent()) || inService.contains(instanceId)) {
                        continue;
                    }
                    if (now - seen < pendingNanos) {
                        state.setTextContent("Pending");
                        changed = true;
                    } else {
                        // AWS's lifecycle never goes back from InService to Pending.
                        inService.add(instanceId);
                    }
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
