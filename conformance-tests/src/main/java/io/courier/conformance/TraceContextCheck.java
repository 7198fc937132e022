package io.courier.conformance;

import io.courier.CourierOptions;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;

/**
 * C19's instruments: an OpenTelemetry SDK with the W3C propagator exporting to memory, a caller span to send
 * under, and the spans the runtime recorded for one group.
 */
final class TraceContextCheck implements AutoCloseable {
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("courier.attempt");
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider tracers = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    private final OpenTelemetry otel = OpenTelemetrySdk.builder().setTracerProvider(tracers)
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();

    CourierOptions options() { return CourierOptions.defaults().openTelemetry(otel); }

    /** A span of the caller, to send inside. */
    Span callerSpan() { return otel.getTracer("conformance").spanBuilder("caller").startSpan(); }

    /** The handler (consumer) spans of deliveries to {@code destination}. */
    List<SpanData> handlerSpans(String destination) {
        return exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == SpanKind.CONSUMER && s.getName().equals("process " + destination)).toList();
    }

    /** The producer span of the send to {@code destination} (the first one). */
    SpanData sendSpan(String destination) {
        return exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == SpanKind.PRODUCER && s.getName().equals("send " + destination)).findFirst().orElseThrow();
    }

    @Override public void close() { tracers.close(); }
}
