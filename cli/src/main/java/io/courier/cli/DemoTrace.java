package io.courier.cli;

import io.courier.CourierOptions;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * {@code ./courier demo --trace}: the demo traced through the OpenTelemetry SDK into memory, and at the end the span
 * tree of one message, e.g. the poison task: its send, each failed attempt, the dead letter's send and its handling,
 * all in one trace (C19).
 */
final class DemoTrace implements AutoCloseable {
    private static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("courier.attempt");
    private final Collection<SpanData> spans = new ConcurrentLinkedQueue<>();
    private final SdkTracerProvider tracers = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
        @Override public CompletableResultCode export(Collection<SpanData> batch) { spans.addAll(batch); return CompletableResultCode.ofSuccess(); }
        @Override public CompletableResultCode flush() { return CompletableResultCode.ofSuccess(); }
        @Override public CompletableResultCode shutdown() { return CompletableResultCode.ofSuccess(); }
    })).build();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracers)
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();

    /** Adds tracing to {@code options}. */
    CourierOptions on(CourierOptions options) { return options.openTelemetry(otel); }

    /** The spans of the trace of message {@code id}, as a tree (children under their parent, in start order). */
    List<String> tree(String id) {
        SpanData first = spans.stream().filter(s -> id.equals(s.getAttributes().get(MESSAGE_ID)))
                .min(Comparator.comparingLong(SpanData::getStartEpochNanos)).orElse(null);
        if (first == null) return List.of();
        List<SpanData> trace = spans.stream().filter(s -> s.getTraceId().equals(first.getTraceId()))
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        List<String> lines = new java.util.ArrayList<>();
        for (SpanData root : trace) {
            if (trace.stream().noneMatch(s -> s.getSpanId().equals(root.getParentSpanId()))) add(lines, trace, root, 0);
        }
        return lines;
    }

    private static void add(List<String> lines, List<SpanData> trace, SpanData s, int depth) {
        Long attempt = s.getAttributes().get(ATTEMPT);
        lines.add("  ".repeat(depth + 1) + s.getName() + " [" + s.getKind() + (attempt == null ? "" : ", attempt " + attempt)
                + (s.getStatus().getStatusCode() == io.opentelemetry.api.trace.StatusCode.ERROR ? ", error" : "") + "] "
                + String.format("%.1f ms", (s.getEndEpochNanos() - s.getStartEpochNanos()) / 1e6));
        for (SpanData c : trace) if (c.getParentSpanId().equals(s.getSpanId())) add(lines, trace, c, depth + 1);
    }

    @Override
    public void close() { tracers.close(); }
}
