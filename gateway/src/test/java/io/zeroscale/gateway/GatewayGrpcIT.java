package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A real gRPC service (grpc-java, HTTP/2 cleartext) behind the gateway, called by a real grpc-java
 * client: woken from zero by a unary and by a server-streaming call, a stream that runs through the
 * idle timeout, and a wake that fails answered with gRPC status UNAVAILABLE and the reason.
 */
class GatewayGrpcIT extends GatewayTestSupport {
    /** Messages are plain UTF-8 strings: no generated code needed. */
    private static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static final MethodDescriptor<String, String> SAY = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("test.Echo/Say")
            .setRequestMarshaller(TEXT)
            .setResponseMarshaller(TEXT)
            .build();

    private static final MethodDescriptor<String, String> COUNT = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName("test.Echo/Count")
            .setRequestMarshaller(TEXT)
            .setResponseMarshaller(TEXT)
            .build();

    private final AtomicInteger calls = new AtomicInteger();

    /** Starts a gRPC server on a free loopback port; Count sends 3 messages {@code pause} apart. */
    private Endpoint startGrpcServer(Duration pause) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Echo")
                .addMethod(SAY, ServerCalls.asyncUnaryCall((request, response) -> {
                    calls.incrementAndGet();
                    response.onNext("hello " + request);
                    response.onCompleted();
                }))
                .addMethod(COUNT, ServerCalls.asyncServerStreamingCall((request, response) -> {
                    calls.incrementAndGet();
                    try {
                        for (int i = 1; i <= 3; i++) {
                            response.onNext(request + " " + i);
                            Thread.sleep(pause.toMillis());
                        }
                        response.onCompleted();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        response.onError(e);
                    }
                }))
                .build();
        Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(service)
                .build()
                .start();
        closeLater(() -> server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS));
        return new Endpoint("127.0.0.1", server.getPort());
    }

    private ManagedChannel client(Gateway gateway) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.port(),
                InsecureChannelCredentials.create()).build();
        closeLater(() -> channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS));
        return channel;
    }

    private static CallOptions deadline() {
        return CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @Test
    void unaryCallsHeldAtZeroAreServedOnceTheWakeIsDone() throws Exception {
        hub.onWake(APP, () -> startGrpcServer(Duration.ZERO));
        Gateway gateway = startDefault();
        ManagedChannel channel = client(gateway);

        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String name = "call" + i;
            answers.add(CompletableFuture.supplyAsync(
                    () -> ClientCalls.blockingUnaryCall(channel, SAY, deadline(), name)));
        }
        for (int i = 0; i < 10; i++) {
            assertThat(answers.get(i).get(60, TimeUnit.SECONDS)).isEqualTo("hello call" + i);
        }
        assertThat(calls.get()).isEqualTo(10);
        assertThat(hub.reports(APP)).as("the calls were held and woke the target").anyMatch(s -> s.held() > 0);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(hub.latest(APP).inFlight()).isZero();
            assertThat(hub.latest(APP).completed()).isEqualTo(10);
        });
    }

    @Test
    void aServerStreamWokenFromZeroRunsThroughTheIdleTimeout() throws Exception {
        hub.onWake(APP, () -> startGrpcServer(Duration.ofMillis(1500)));
        Gateway gateway = start(GatewayConfig.builder().idleTimeout(Duration.ofSeconds(1)).build(),
                GatewayRoute.path(APP, "/"));
        ManagedChannel channel = client(gateway);

        Iterator<String> stream = ClientCalls.blockingServerStreamingCall(channel, COUNT, deadline(), "tick");
        List<String> received = new ArrayList<>();
        stream.forEachRemaining(received::add);

        assertThat(received).containsExactly("tick 1", "tick 2", "tick 3");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(hub.latest(APP).inFlight()).isZero());
    }

    @Test
    void aCallWhoseWakeFailsGetsUnavailableWithTheReason() throws Exception {
        Gateway gateway = startDefault();
        ManagedChannel channel = client(gateway);

        CompletableFuture<String> answer = CompletableFuture.supplyAsync(
                () -> ClientCalls.blockingUnaryCall(channel, SAY, deadline(), "x"));
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.stats(APP).held() == 1);
        hub.failHeld(APP, 503, "target test/Process/app failed to start: exit code 3; retry in 1s");

        assertThatThrownBy(() -> answer.get(30, TimeUnit.SECONDS))
                .cause()
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("target test/Process/app failed to start: exit code 3; retry in 1s");
                });
    }

    @Test
    void aCallToAnUnroutedPathIsUnimplementedNotAnHtmlPage() throws Exception {
        Gateway gateway = start(GatewayConfig.defaults(), GatewayRoute.path(APP, "/other.Service"));
        ManagedChannel channel = client(gateway);

        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, SAY, deadline(), "x"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
                    assertThat(e.getStatus().getDescription()).startsWith("no route for host");
                });
    }
}
