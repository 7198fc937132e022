package io.courier.runtime;

import io.courier.Destination;
import io.courier.Message;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

    private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("messaging.operation.name");
    private static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<String> GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("courier.attempt");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    /** A destination's name and its two span names, made once per destination instead of once per message. */
    private record Names(String destination, String send, String process) { }

    private final Map<Destination, Names> names = new ConcurrentHashMap<>();
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
        Names n = names(m.destination());
        io.opentelemetry.api.trace.Span span = tracer.spanBuilder(n.send()).setSpanKind(SpanKind.PRODUCER)
                .setParent(parent).setAttribute(SYSTEM, system)
                .setAttribute(DESTINATION, n.destination()).setAttribute(OPERATION, "send")
                .setAttribute(MESSAGE_ID, m.id()).startSpan();
        Message.Builder b = m.toBuilder();
        propagator.inject(parent.with(span), b, Message.Builder::header);
        return new Send(b.build(), error -> end(span, error));
    }

    @Override
    public Span startProcess(String group, Message m, int attempt) {
        Names n = names(m.destination());
        io.opentelemetry.api.trace.Span span = tracer.spanBuilder(n.process()).setSpanKind(SpanKind.CONSUMER)
                .setParent(extract(m)).setAttribute(SYSTEM, system)
                .setAttribute(DESTINATION, n.destination()).setAttribute(GROUP, group)
                .setAttribute(OPERATION, "process").setAttribute(MESSAGE_ID, m.id())
                .setAttribute(ATTEMPT, (long) attempt).startSpan();
        Scope scope = span.makeCurrent();
        return error -> {
            scope.close();
            end(span, error);
        };
    }

    private Names names(Destination d) {
        Names n = names.get(d);
        if (n != null) return n;
        String name = d.toString();
        return names.computeIfAbsent(d, k -> new Names(name, "send " + name, "process " + name));
    }

    private Context extract(Message m) { return propagator.extract(Context.root(), m.headers(), HEADERS); }

    private static void end(io.opentelemetry.api.trace.Span span, Throwable error) {
        if (error != null) {
            span.setStatus(StatusCode.ERROR);
            span.setAttribute(ERROR_TYPE, error.getClass().getName());
        }
        span.end();
    }
}
