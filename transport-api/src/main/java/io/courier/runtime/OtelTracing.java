package io.courier.runtime;

import io.courier.Message;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Map;

/**
 * {@link Tracing} through the OpenTelemetry API: the only class of the runtime that touches its types. A send is a
 * PRODUCER span, child of the current context or, when none is current, of the context the message already carries
 * (a dead letter stays in its message's trace); a handler runs in a CONSUMER span, child of the message's context.
 */
final class OtelTracing implements Tracing {
    private static final TextMapGetter<Map<String, String>> HEADERS = new TextMapGetter<>() {
        @Override public Iterable<String> keys(Map<String, String> carrier) { return carrier.keySet(); }
        @Override public String get(Map<String, String> carrier, String key) { return carrier == null ? null : carrier.get(key); }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final String system;

    OtelTracing(Object openTelemetry, String system) {
        OpenTelemetry otel = (OpenTelemetry) openTelemetry;
        this.tracer = otel.getTracer("io.courier");
        this.propagator = otel.getPropagators().getTextMapPropagator();
        this.system = system;
    }

    @Override
    public Send startSend(Message m) {
        Context parent = Context.current();
        if (!io.opentelemetry.api.trace.Span.fromContext(parent).getSpanContext().isValid()) parent = extract(m);
        String destination = m.destination().toString();
        io.opentelemetry.api.trace.Span span = tracer.spanBuilder("send " + destination).setSpanKind(SpanKind.PRODUCER)
                .setParent(parent).setAttribute("messaging.system", system)
                .setAttribute("messaging.destination.name", destination).setAttribute("messaging.operation.name", "send")
                .setAttribute("messaging.message.id", m.id()).startSpan();
        Message.Builder b = m.toBuilder();
        propagator.inject(parent.with(span), b, Message.Builder::header);
        return new Send(b.build(), error -> end(span, error));
    }

    @Override
    public Span startProcess(String group, Message m, int attempt) {
        String destination = m.destination().toString();
        io.opentelemetry.api.trace.Span span = tracer.spanBuilder("process " + destination).setSpanKind(SpanKind.CONSUMER)
                .setParent(extract(m)).setAttribute("messaging.system", system)
                .setAttribute("messaging.destination.name", destination).setAttribute("messaging.consumer.group.name", group)
                .setAttribute("messaging.operation.name", "process").setAttribute("messaging.message.id", m.id())
                .setAttribute("courier.attempt", attempt).startSpan();
        Scope scope = span.makeCurrent();
        return error -> {
            scope.close();
            end(span, error);
        };
    }

    private Context extract(Message m) { return propagator.extract(Context.root(), m.headers(), HEADERS); }

    private static void end(io.opentelemetry.api.trace.Span span, Throwable error) {
        if (error != null) {
            span.setStatus(StatusCode.ERROR);
            span.setAttribute("error.type", error.getClass().getName());
        }
        span.end();
    }
}
