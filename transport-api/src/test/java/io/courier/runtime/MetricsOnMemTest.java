package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.CourierOptions;
import io.courier.Destination;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import io.courier.SubscriptionOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * After a scripted run on mem:// (n sent, k failing once, one dead-lettered) the metrics show exactly those counts;
 * without a registry the runtime records nothing and runs the same.
 */
class MetricsOnMemTest {
    private static final int N = 10, K = 3;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void scriptedRunShowsExactCounts() throws Exception {
        String g = "metrics-" + System.nanoTime();
        try (Courier c = Courier.connect("mem://metrics", CourierOptions.defaults().meterRegistry(registry))) {
            c.subscribe(SubscriptionOptions.group(g).retry(RetryPolicy.immediate(3)).build(), d -> {
                int i = Integer.parseInt(d.message().id());
                if (i == N - 1) throw new NonRetryableException("poison");
                if (i < K && d.attempt() == 1) throw new IllegalStateException("first attempt fails");
            });
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < N; i++) batch.add(Message.to(Destination.any(g)).id(Integer.toString(i)).payload("p").build());
            c.send(batch).join();
            assertTrue(Await.until(() -> count(MicrometerTelemetry.DEAD_LETTERS) == 1
                    && timerCount(MicrometerTelemetry.PROCESS_DURATION) == N + K && gauge(g) == 0, Duration.ofSeconds(10)),
                    "run did not finish: " + registry.getMetersAsString());

            assertEquals(N, registry.get(MicrometerTelemetry.SENT).tag("messaging.destination.name", "any@" + g).counter().count());
            assertEquals(1, registry.get(MicrometerTelemetry.SENT).tag("messaging.destination.name", "any@" + g + ".dlq").counter().count());
            assertEquals(N + K, count(MicrometerTelemetry.CONSUMED));
            assertEquals(K, registry.get(MicrometerTelemetry.REDELIVERIES).tag("courier.attempt", "2").counter().count());
            assertEquals(K, count(MicrometerTelemetry.REDELIVERIES));
            assertEquals(1, registry.get(MicrometerTelemetry.DEAD_LETTERS).tag("courier.dead_letter.reason", "not_retryable").counter().count());
            assertEquals(K + 1, registry.get(MicrometerTelemetry.PROCESS_DURATION).tagKeys("error.type").timers().stream()
                    .filter(t -> !t.getId().getTag("error.type").isEmpty()).mapToLong(t -> t.count()).sum());
            assertEquals("mem", registry.get(MicrometerTelemetry.CONSUMED).counter().getId().getTag("messaging.system"));
            assertEquals(g, registry.get(MicrometerTelemetry.CONSUMED).counter().getId().getTag("messaging.consumer.group.name"));
        }
    }

    @Test
    void theInFlightGaugeOfAGroupSumsItsSubscriptionsAndOutlivesAGc() throws Exception {
        String g = "inflight-" + System.nanoTime();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (Courier c = Courier.connect("mem://inflight", CourierOptions.defaults().meterRegistry(registry))) {
            SubscriptionOptions o = SubscriptionOptions.group(g).prefetch(2).concurrency(2).pollWait(Duration.ofMillis(20)).build();
            var first = c.subscribe(o, d -> release.await());
            var second = c.subscribe(o.toBuilder().member("m2").build(), d -> release.await());
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 4; i++) batch.add(Message.to(Destination.any(g)).id(Integer.toString(i)).payload("p").build());
            c.send(batch).join();
            assertTrue(Await.until(() -> first.inFlight() == 2 && second.inFlight() == 2, Duration.ofSeconds(10)),
                    first.inFlight() + " + " + second.inFlight());
            System.gc();
            assertEquals(4, gauge(g), "one gauge per group, summing both subscriptions, not collected by a GC");
            assertEquals(1.0, registry.get(MicrometerTelemetry.PREFETCH_USED).tag("messaging.consumer.group.name", g).gauge().value(),
                    "4 unsettled of a prefetch of 2 + 2: the group's prefetch is used up");
            release.countDown();
            assertTrue(Await.until(() -> gauge(g) == 0, Duration.ofSeconds(10)), "settled: " + gauge(g));
            assertEquals(0.0, registry.get(MicrometerTelemetry.PREFETCH_USED).tag("messaging.consumer.group.name", g).gauge().value());
            var acks = registry.get(MicrometerTelemetry.ACKS_PER_CALL).tag("messaging.consumer.group.name", g).summary();
            assertEquals(4, acks.totalAmount(), "every ack handed over, counted in the calls that carried it");
            assertTrue(acks.count() >= 1 && acks.count() <= 4, "acks coalesced into at most 4 calls: " + acks.count());
            first.close();
            second.close();
            System.gc();
            assertEquals(0, gauge(g), "closed subscriptions count nothing");
        }
    }

    /**
     * A default subscription (no prefetch set: the adaptive window, 16 at first for concurrency 1, up to 512) whose
     * handler holds its deliveries has its window full: prefetch use 1. Before, the gauge divided by the cap (512) and
     * read 0.03 for a subscription that could take nothing more.
     */
    @Test
    void thePrefetchUseOfADefaultSubscriptionIsOverItsCurrentWindow() throws Exception {
        String g = "window-" + System.nanoTime();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (Courier c = Courier.connect("mem://window", CourierOptions.defaults().meterRegistry(registry))) {
            var s = c.subscribe(SubscriptionOptions.group(g).pollWait(Duration.ofMillis(20)).build(), d -> release.await());
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 40; i++) batch.add(Message.to(Destination.any(g)).id(Integer.toString(i)).payload("p").build());
            c.send(batch).join();
            int window = SubscriptionOptions.startPrefetch(1);
            assertTrue(Await.until(() -> s.inFlight() == window, Duration.ofSeconds(10)), "in flight " + s.inFlight());
            assertEquals(1.0, registry.get(MicrometerTelemetry.PREFETCH_USED).tag("messaging.consumer.group.name", g).gauge().value(),
                    window + " unsettled in a window of " + window);
            release.countDown();
        }
    }

    /**
     * Two Couriers of one process share one registry (the demo's three workers; an application with a Courier per
     * broker): the group's in-flight gauge sums the subscriptions of both. Before, the second Courier's gauge was
     * refused by Micrometer ("This Gauge has been already registered", a WARN) and its subscriptions never counted.
     */
    @Test
    void twoCouriersOnOneRegistryShareTheGroupsGauges() throws Exception {
        String g = "inflight2-" + System.nanoTime();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (Courier a = Courier.connect("mem://inflight2", CourierOptions.defaults().meterRegistry(registry));
             Courier b = Courier.connect("mem://inflight2", CourierOptions.defaults().meterRegistry(registry))) {
            SubscriptionOptions o = SubscriptionOptions.group(g).prefetch(2).concurrency(2).pollWait(Duration.ofMillis(20)).build();
            var first = a.subscribe(o, d -> release.await());
            var second = b.subscribe(o.toBuilder().member("m2").build(), d -> release.await());
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 4; i++) batch.add(Message.to(Destination.any(g)).id(Integer.toString(i)).payload("p").build());
            a.send(batch).join();
            assertTrue(Await.until(() -> first.inFlight() == 2 && second.inFlight() == 2, Duration.ofSeconds(10)),
                    first.inFlight() + " + " + second.inFlight());
            assertEquals(4, gauge(g), "the gauge sums the subscriptions of both Couriers");
            assertEquals(1.0, registry.get(MicrometerTelemetry.PREFETCH_USED).tag("messaging.consumer.group.name", g).gauge().value());
            release.countDown();
            assertTrue(Await.until(() -> gauge(g) == 0, Duration.ofSeconds(10)), "settled: " + gauge(g));
        }
    }

    private double count(String name) {
        return registry.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private long timerCount(String name) {
        return registry.find(name).timers().stream().mapToLong(t -> t.count()).sum();
    }

    private double gauge(String group) {
        var g = registry.find(MicrometerTelemetry.IN_FLIGHT).tag("messaging.consumer.group.name", group).gauge();
        return g == null ? -1 : g.value();
    }
}
