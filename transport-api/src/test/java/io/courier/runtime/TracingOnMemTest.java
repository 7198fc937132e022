package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.CourierOptions;
import io.courier.Destination;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.SubscriptionOptions;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Trace context on mem:// (C19 in the runtime): the sender's span is the parent of every handler span, a dead letter's too. */
class TracingOnMemTest {
    @RegisterExtension static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    @Test
    void handlerSpansAreChildrenOfTheSendAcrossRedeliveryAndDeadLetter() throws Exception {
        String g = "trace-" + System.nanoTime();
        Map<Integer, String> traceparents = new ConcurrentHashMap<>();
        try (Courier c = Courier.connect("mem://trace", CourierOptions.defaults().openTelemetry(otel.getOpenTelemetry()))) {
            c.subscribe(SubscriptionOptions.group(g).retry(RetryPolicy.immediate(2)).build(), d -> {
                traceparents.put(d.attempt(), d.message().headers().get("traceparent"));
                throw new IllegalStateException("fails");
            });
            c.subscribe(SubscriptionOptions.group(g + ".dlq").build(), d -> { });
            Span parent = otel.getOpenTelemetry().getTracer("test").spanBuilder("caller").startSpan();
            try (var scope = parent.makeCurrent()) {
                c.send(Message.to(Destination.any(g)).id("m").payload("p").build()).join();
            } finally {
                parent.end();
            }
            String trace = parent.getSpanContext().getTraceId();
            assertTrue(Await.until(() -> consumerSpans().size() == 3, Duration.ofSeconds(10)), "spans: " + otel.getSpans());
            for (SpanData s : consumerSpans()) assertEquals(trace, s.getTraceId(), s.toString());
            SpanData send = otel.getSpans().stream().filter(s -> s.getName().equals("send any@" + g)).findFirst().orElseThrow();
            assertEquals(parent.getSpanContext().getSpanId(), send.getParentSpanId());
            List<Long> attempts = consumerSpans().stream().filter(s -> s.getName().equals("process any@" + g))
                    .map(s -> s.getAttributes().get(AttributeKey.longKey("courier.attempt"))).sorted().toList();
            assertEquals(List.of(1L, 2L), attempts);
            assertTrue(traceparents.get(1).contains(send.getSpanId()), traceparents.toString());
        }
    }

    @Test
    void messagesWithoutContextStillWork() throws Exception {
        String g = "trace-none-" + System.nanoTime();
        try (Courier c = Courier.connect("mem://trace")) {
            var got = new java.util.concurrent.CountDownLatch(1);
            c.subscribe(SubscriptionOptions.group(g).build(), d -> got.countDown());
            c.send(Message.to(Destination.any(g)).payload("p").build()).join();
            assertTrue(got.await(5, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    private static List<SpanData> consumerSpans() {
        return otel.getSpans().stream().filter(s -> s.getKind() == SpanKind.CONSUMER).toList();
    }
}
