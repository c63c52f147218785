package io.zeroscale.plugin.tempo;

import static io.opentelemetry.api.common.AttributeKey.stringKey;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Spans made by the OpenTelemetry SDK, as a traced service would send them to Tempo. Every trace
 * id starts with a zero digit, which Tempo's search results drop.
 */
final class Traces implements AutoCloseable {
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final Map<String, SdkTracerProvider> providers = new LinkedHashMap<>();
    // Shared so that two Traces in one test never make the same ids.
    private static final Random RANDOM = new Random(42);

    private Tracer tracer(String service) {
        return providers.computeIfAbsent(service, name -> SdkTracerProvider.builder()
                        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(stringKey("service.name"), name))))
                        .setIdGenerator(new LeadingZeroIds())
                        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                        .build())
                .get("zeroscale-test");
    }

    /**
     * One request: a SERVER span of {@code service} from {@code start} lasting {@code duration}, with
     * a CLIENT span to its database inside it, and an INTERNAL span of the gateway around it.
     */
    Traces request(String service, Instant start, Duration duration) {
        Span gateway = tracer("gateway").spanBuilder("route").setSpanKind(SpanKind.INTERNAL)
                .setNoParent().setStartTimestamp(start.minusMillis(1)).startSpan();
        Span server = tracer(service).spanBuilder("GET /items").setSpanKind(SpanKind.SERVER)
                .setParent(Context.root().with(gateway)).setStartTimestamp(start).startSpan();
        Span database = tracer(service).spanBuilder("SELECT items").setSpanKind(SpanKind.CLIENT)
                .setParent(Context.root().with(server)).setStartTimestamp(start.plusNanos(1000)).startSpan();
        database.end(start.plus(duration).minusNanos(1000));
        server.end(start.plus(duration));
        gateway.end(start.plus(duration).plusMillis(1));
        return this;
    }

    /** One trace holding {@code count} SERVER spans of {@code service}, a second apart, as a batch job fans out. */
    Traces batch(String service, Instant start, int count, Duration each) {
        Span root = tracer("batcher").spanBuilder("nightly").setSpanKind(SpanKind.INTERNAL)
                .setNoParent().setStartTimestamp(start).startSpan();
        for (int i = 0; i < count; i++) {
            Instant at = start.plusSeconds(i).plusMillis(1);
            tracer(service).spanBuilder("POST /items").setSpanKind(SpanKind.SERVER)
                    .setParent(Context.root().with(root)).setStartTimestamp(at).startSpan().end(at.plus(each));
        }
        root.end(start.plusSeconds(count).plusMillis(2));
        return this;
    }

    List<SpanData> spans() {
        return exporter.getFinishedSpanItems();
    }

    @Override
    public void close() {
        providers.values().forEach(SdkTracerProvider::close);
    }

    private final class LeadingZeroIds implements IdGenerator {
        @Override
        public String generateSpanId() {
            byte[] bytes = new byte[8];
            RANDOM.nextBytes(bytes);
            bytes[0] |= 0x10;
            return HexFormat.of().formatHex(bytes);
        }

        @Override
        public String generateTraceId() {
            byte[] bytes = new byte[16];
            RANDOM.nextBytes(bytes);
            bytes[0] = (byte) (0x01 + RANDOM.nextInt(0x0f));
            return HexFormat.of().formatHex(bytes);
        }
    }
}
