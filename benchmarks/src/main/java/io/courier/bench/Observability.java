package io.courier.bench;

import io.courier.CourierOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/**
 * Metrics and traces as a production application turns them on, minus the network: a {@link SimpleMeterRegistry},
 * and the OpenTelemetry SDK (W3C propagator, batch span processor, every span sampled) exporting to nowhere.
 */
final class Observability implements AutoCloseable {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SdkTracerProvider tracers = SdkTracerProvider.builder()
            .addSpanProcessor(BatchSpanProcessor.builder(new NoExporter()).build()).build();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracers)
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();

    /** Both by default; {@code -Dcourier.bench.telemetry=metrics} or {@code =traces} turns on one alone (to see which costs). */
    CourierOptions options() {
        String which = System.getProperty("courier.bench.telemetry", "both");
        CourierOptions o = CourierOptions.defaults();
        if (!which.equals("traces")) o.meterRegistry(registry);
        if (!which.equals("metrics")) o.openTelemetry(otel);
        return o;
    }

    @Override
    public void close() { tracers.close(); }

    /** Accepts every batch of spans and drops it. */
    private static final class NoExporter implements SpanExporter {
        @Override public CompletableResultCode export(Collection<SpanData> spans) { return CompletableResultCode.ofSuccess(); }
        @Override public CompletableResultCode flush() { return CompletableResultCode.ofSuccess(); }
        @Override public CompletableResultCode shutdown() { return CompletableResultCode.ofSuccess(); }
    }
}
