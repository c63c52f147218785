package io.zeroscale.benchmarks;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The gRPC service of the gateway's gRPC benchmark: one unary method, {@code bench.Echo/Say}, whose
 * messages are plain UTF-8 strings (no generated code), answering a fixed line from memory like the
 * HTTP benchmarks' backend.
 */
final class GrpcEcho {
    static final String REPLY = "hello from the backend";

    /** Messages are UTF-8 strings. */
    static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
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

    static final MethodDescriptor<String, String> SAY = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("bench.Echo/Say")
            .setRequestMarshaller(TEXT)
            .setResponseMarshaller(TEXT)
            .build();

    private GrpcEcho() {}

    static ServerServiceDefinition service() {
        return ServerServiceDefinition.builder("bench.Echo")
                .addMethod(SAY, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(REPLY);
                    response.onCompleted();
                }))
                .build();
    }
}
