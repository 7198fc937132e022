package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * C19 trace context and metrics: the sender's span is the parent of every handler span, across redeliveries and
 * dead letters; the meters count a scripted run exactly; the backlog gauge shows what waits in a group.
 * Part of {@link ConformanceSuite}: extend that, not this.
 */
public abstract class ObservabilityClauses extends ErrorClauses {
    // =====================================================================================================
    // C19 trace context
    // =====================================================================================================

    @Test
    @Clause("C19")
    public void c19_theSendersSpanIsTheParentOfEveryHandlerSpanAcrossRedeliveryAndDeadLetter() throws Exception {
        String g = group("c19");
        try (TraceContextCheck trace = new TraceContextCheck()) {
            // a second facade on the same open transport, traced; not closed here (that would close the transport)
            Courier traced = Courier.wrap(courier.transport(), io.courier.spi.TransportUrl.parse(fx.url()), trace.options());
            Map<Integer, String> traceparents = new ConcurrentHashMap<>();
            subscribe(traced, opts(g).retry(RetryPolicy.immediate(2)).build(), d -> {
                traceparents.put(d.attempt(), String.valueOf(d.message().headers().get("traceparent")));
                throw new IllegalStateException("C19 fails every attempt");
            });
            Collector dead = new Collector();
            subscribe(traced, opts(g + ".dlq").build(), dead.as("dlq"));
            io.opentelemetry.api.trace.Span caller = trace.callerSpan();
            Message m = msg(g, 0);
            try (var scope = caller.makeCurrent()) {
                traced.send(m).get(60, TimeUnit.SECONDS);
            } finally {
                caller.end();
            }
            assertTrue(dead.awaitAll(List.of(m.id()), LONG).isEmpty(), "the message was not dead-lettered");
            String traceId = caller.getSpanContext().getTraceId();
            String destination = Destination.any(g).toString(), dlq = Destination.any(g + ".dlq").toString();
            assertTrue(waitFor(() -> trace.handlerSpans(destination).size() == 2 && trace.handlerSpans(dlq).size() == 1),
                    "handler spans missing: " + trace.handlerSpans(destination) + " " + trace.handlerSpans(dlq));
            var send = trace.sendSpan(destination);
            assertTrue(traceparents.get(1).contains(send.getSpanId()),
                    "the delivered message's traceparent header is not the send's span: " + traceparents);
            for (var s : trace.handlerSpans(destination)) {
                assertEquals(send.getSpanId(), s.getParentSpanId(), "attempt " + s.getAttributes().get(TraceContextCheck.ATTEMPT)
                        + " of the handler is not a child of the send's span");
            }
            assertEquals(List.of(1L, 2L), trace.handlerSpans(destination).stream()
                    .map(s -> s.getAttributes().get(TraceContextCheck.ATTEMPT)).sorted().toList());
            assertEquals(traceId, trace.handlerSpans(dlq).get(0).getTraceId(), "the dead letter's handler left the sender's trace");
        }
    }

    @Test
    @Clause("C19")
    public void c19_metricsCountAScriptedRunExactly() throws Exception {
        String g = group("c19-metrics");
        MetricsCheck metrics = new MetricsCheck();
        // a second facade on the same open transport, metered; not closed here (that would close the transport)
        Courier metered = Courier.wrap(courier.transport(), io.courier.spi.TransportUrl.parse(fx.url()), metrics.options());
        int n = MetricsCheck.SENT, k = MetricsCheck.FAILING_ONCE;
        Subscription s = subscribe(metered, opts(g).retry(RetryPolicy.immediate(3)).build(), d -> {
            int i = Integer.parseInt(d.message().id().substring(g.length() + 1));
            if (i == n - 1) throw new NonRetryableException("C19 metrics: the poison message");
            if (i < k && d.attempt() == 1) throw new IllegalStateException("C19 metrics: the first attempt fails");
        });
        assertTrue(s.awaitReady(LONG), "the subscription never became ready");
        metered.send(batch(g, 0, n)).get(60, TimeUnit.SECONDS);
        assertTrue(metrics.awaitRun(g, LONG), "the scripted run did not finish: " + metrics.summary(g));
        metrics.assertExactCounts(g, Destination.any(g).toString(), Destination.any(g + ".dlq").toString());
    }

    @Test
    @Clause("C19")
    public void c19_theBacklogGaugeShowsWhatWaitsInTheGroup() throws Exception {
        if (courier.transport().admin().isEmpty()) unsupported("the transport offers no admin (Transport.admin()): no backlog gauge");
        String g = group("c19-backlog");
        MetricsCheck metrics = new MetricsCheck();
        Courier metered = Courier.wrap(courier.transport(), io.courier.spi.TransportUrl.parse(fx.url()),
                metrics.options().backlogInterval(Duration.ofMillis(200)));
        CountDownLatch release = new CountDownLatch(1);
        Subscription s = subscribe(metered, opts(g).prefetch(1).concurrency(1).build(), d -> release.await());
        assertTrue(s.awaitReady(LONG), "the subscription never became ready");
        metered.send(batch(g, 0, 6)).get(60, TimeUnit.SECONDS);
        double waiting = metrics.awaitBacklog(g, b -> b >= 5, LONG);
        if (Double.isNaN(waiting)) unsupported("the broker cannot tell the backlog of a group (Admin.stats: unknown)");
        assertTrue(waiting >= 5 && waiting <= 6, "courier.backlog with one message held by the handler of 6: " + waiting);
        release.countDown();
        assertEquals(0.0, metrics.awaitBacklog(g, b -> b == 0, LONG), "courier.backlog once every message was handled");
    }
}
