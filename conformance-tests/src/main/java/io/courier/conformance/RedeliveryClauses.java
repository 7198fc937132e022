package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Destination;
import io.courier.Handler;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import io.courier.SubscriptionOptions;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * C6 redelivery, C7 dead-letter, C15 attempts and C16 long handlers: what happens to a message that is not acked
 * (after the ack deadline, when its consumer is gone, after a nack, after the last attempt), counted by one attempt
 * counter, and a long handler that keeps its lease.
 * Part of {@link ConformanceSuite}: extend that, not this.
 */
public abstract class RedeliveryClauses extends RoutingClauses {
    // =====================================================================================================
    // C6 redelivery
    // =====================================================================================================

    @Test
    @Clause("C6")
    public void c6_anUnsettledMessageIsRedeliveredAfterTheAckDeadline() throws Exception {
        String g = group("c6");
        courier.send(msg(g, 0)).get(60, TimeUnit.SECONDS);
        Duration deadline = Duration.ofSeconds(2);
        Receiver r = receiver(g, null, 1, deadline);
        List<Received> first = receiveAtLeast(r, 1, Duration.ofSeconds(30));
        long t0 = System.currentTimeMillis();
        assertEquals(1, first.get(0).attempt(), "first delivery must be attempt 1");
        List<Received> again = receiveAtLeast(r, 1, Duration.ofSeconds(60));
        long elapsed = System.currentTimeMillis() - t0;
        assertEquals(1, again.size(), "not redelivered after the ack deadline");
        assertEquals(2, again.get(0).attempt(), "the attempt number must grow on redelivery");
        assertTrue(elapsed >= deadline.toMillis() - 250, "redelivered after " + elapsed + " ms, before the ack deadline of " + deadline);
        r.ack(again);
    }

    @Test
    @Clause("C6")
    public void c6_aMessageIsRedeliveredAsSoonAsItsConsumerIsGone() throws Exception {
        String g = group("c6-gone");
        courier.send(msg(g, 0)).get(60, TimeUnit.SECONDS);
        Receiver r = receiver(g, "gone", 1, Duration.ofSeconds(120));
        receiveAtLeast(r, 1, Duration.ofSeconds(30));
        long t0 = System.currentTimeMillis();
        r.close();
        Receiver other = receiver(g, "other", 1, Duration.ofSeconds(120));
        List<Received> got = receiveAtLeast(other, 1, Duration.ofSeconds(60));
        assertEquals(1, got.size(), "not redelivered after its consumer closed (ack deadline is 120 s)");
        assertTrue(got.get(0).attempt() >= 2, "attempt must grow, was " + got.get(0).attempt());
        assertTrue(System.currentTimeMillis() - t0 < 60_000);
        other.ack(got);
    }

    @Test
    @Clause("C6")
    public void c6_nackWithDelayRedeliversAfterTheDelay() throws Exception {
        String g = group("c6-nack");
        courier.send(msg(g, 0)).get(60, TimeUnit.SECONDS);
        Receiver r = receiver(g, null, 1, Duration.ofSeconds(30));
        List<Received> first = receiveAtLeast(r, 1, Duration.ofSeconds(30));
        long t0 = System.currentTimeMillis();
        Duration delay = Duration.ofSeconds(2);
        r.nack(first, delay);
        List<Received> again = receiveAtLeast(r, 1, Duration.ofSeconds(60));
        long elapsed = System.currentTimeMillis() - t0;
        assertEquals(1, again.size(), "not redelivered after nack");
        assertTrue(elapsed >= delay.toMillis() - 50, "redelivered " + elapsed + " ms after nack(" + delay + ")");
        assertEquals(2, again.get(0).attempt(), "the attempt number must grow after a nack");
        r.ack(again);
    }

    // =====================================================================================================
    // C7 dead-letter
    // =====================================================================================================

    @Test
    @Clause("C7")
    public void c7_afterMaxAttemptsTheMessageIsDeadLetteredIntact() throws Exception {
        String g = group("c7");
        subscribe(courier, opts(g).retry(RetryPolicy.immediate(3)).build(), d -> { throw new IllegalStateException("always fails"); });
        Collector dead = new Collector();
        subscribe(courier, opts(g + ".dlq").build(), dead.as("dlq"));
        byte[] payload = allBytes();
        Message m = Message.to(Destination.any(g)).id(msgId(g, 0)).payload(payload)
                .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").header("x-tenant", "acme").build();
        courier.send(m).get(60, TimeUnit.SECONDS);
        assertTrue(dead.awaitAll(List.of(m.id()), LONG).isEmpty(), "the message never reached the dead-letter destination");
        Message d = dead.seen().get(0).message();
        assertArrayEquals(payload, d.payload(), "dead-letter payload changed");
        assertEquals("acme", d.headers().get("x-tenant"));
        assertEquals(m.headers().get("traceparent"), d.headers().get("traceparent"));
        assertEquals("3", d.headers().get(Message.ATTEMPTS));
        assertNotNull(d.headers().get(Message.DEAD_LETTER_REASON), "no dead-letter reason header");
        assertTrue(d.headers().get(Message.DEAD_LETTER_REASON).contains("always fails"), d.headers().get(Message.DEAD_LETTER_REASON));
    }

    // =====================================================================================================
    // C15 attempts
    // =====================================================================================================

    @Test
    @Clause("C15")
    public void c15_anAlwaysFailingHandlerRunsExactlyMaxAttemptsTimes() throws Exception {
        String g = group("c15");
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        subscribe(courier, opts(g).concurrency(4).retry(RetryPolicy.linear(4, Duration.ofMillis(100), Duration.ofSeconds(1))).build(), d -> {
            runs.computeIfAbsent(d.message().id(), k -> new AtomicInteger()).incrementAndGet();
            throw new IllegalStateException("fails every time");
        });
        Collector dead = new Collector();
        subscribe(courier, opts(g + ".dlq").build(), dead.as("dlq"));
        List<String> ids = sendAll(courier, g, 5);
        assertTrue(dead.awaitAll(ids, LONG).isEmpty(), "not every message was dead-lettered");
        Thread.sleep(1_000); // the window of the test: a run beyond maxAttempts would show in it
        for (String id : ids) assertEquals(4, runs.get(id).get(), "handler runs for " + id);
        for (Collector.Seen s : dead.seen()) assertEquals("4", s.message().headers().get(Message.ATTEMPTS));
        assertEquals(5, dead.total(), "dead letters duplicated");
    }

    @Test
    @Clause("C15")
    public void c15_aNonRetryableFailureIsDeadLetteredAtOnce() throws Exception {
        String g = group("c15-nr");
        AtomicInteger runs = new AtomicInteger();
        subscribe(courier, opts(g).retry(RetryPolicy.immediate(5)).build(), d -> {
            runs.incrementAndGet();
            throw new NonRetryableException("invalid order 42");
        });
        Collector dead = new Collector();
        subscribe(courier, opts(g + ".dlq").build(), dead.as("dlq"));
        Message m = msg(g, 0);
        courier.send(m).get(60, TimeUnit.SECONDS);
        assertTrue(dead.awaitAll(List.of(m.id()), LONG).isEmpty(), "not dead-lettered");
        assertEquals(1, runs.get());
        assertTrue(dead.seen().get(0).message().headers().get(Message.DEAD_LETTER_REASON).contains("invalid order 42"));
    }

    @Test
    @Clause("C15")
    public void c15_brokerRedeliveriesAndRuntimeRetriesShareOneCounter() throws Exception {
        String g = group("c15-shared");
        Message m = msg(g, 0);
        courier.send(m).get(60, TimeUnit.SECONDS);
        for (int attempt = 1; attempt <= 2; attempt++) {
            Receiver r = receiver(g, "crash" + attempt, 1, Duration.ofSeconds(60));
            List<Received> got = receiveAtLeast(r, 1, Duration.ofSeconds(60));
            assertEquals(attempt, got.get(0).attempt(), "attempt number of a broker redelivery");
            r.close(); // consumer lost: the broker redelivers
        }
        AtomicInteger runs = new AtomicInteger();
        subscribe(courier, opts(g).retry(RetryPolicy.immediate(3)).build(), d -> {
            runs.incrementAndGet();
            throw new IllegalStateException("fails");
        });
        Collector dead = new Collector();
        subscribe(courier, opts(g + ".dlq").build(), dead.as("dlq"));
        assertTrue(dead.awaitAll(List.of(m.id()), LONG).isEmpty(), "not dead-lettered");
        assertEquals(1, runs.get(), "with 2 broker redeliveries and maxAttempts=3 the handler must run once");
        assertEquals("3", dead.seen().get(0).message().headers().get(Message.ATTEMPTS));
    }

    // =====================================================================================================
    // C16 long handlers
    // =====================================================================================================

    @Test
    @Clause("C16")
    public void c16_aLongHandlerKeepsItsLease() throws Exception {
        String g = group("c16");
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        Handler slow = d -> {
            runs.incrementAndGet();
            Thread.sleep(7_000); // the long handler: past the 2 s ack deadline
            done.countDown();
        };
        SubscriptionOptions o = opts(g).ackDeadline(Duration.ofSeconds(2)).build();
        subscribe(courier, o.toBuilder().member("a").build(), slow);
        subscribe(courier, o.toBuilder().member("b").build(), slow);
        courier.send(msg(g, 0)).get(60, TimeUnit.SECONDS);
        assertTrue(done.await(90, TimeUnit.SECONDS), "handler never finished");
        Thread.sleep(3_000); // the window of the test: a second member handed the message would run it in it
        assertEquals(1, runs.get(), "a handler running past the ack deadline lost its lease: the message was handed to a second member");
    }

    @Test
    @Clause("C16")
    public void c16_aHandlerPastMaxHandlingTimeFailsByTheRetryPath() throws Exception {
        String g = group("c16-max");
        Collector col = new Collector();
        subscribe(courier, opts(g).ackDeadline(Duration.ofSeconds(2)).maxHandlingTime(Duration.ofSeconds(3)).retry(RetryPolicy.immediate(3)).build(), d -> {
            if (d.attempt() == 1) Thread.sleep(600_000); // stuck: interrupted when maxHandlingTime passes
            col.record(d, "m");
        });
        Message m = msg(g, 0);
        courier.send(m).get(60, TimeUnit.SECONDS);
        assertTrue(col.awaitAll(List.of(m.id()), Duration.ofSeconds(90)).isEmpty(), "a stuck handler's message was never retried");
        assertTrue(col.seen().get(0).attempt() >= 2);
    }
}
