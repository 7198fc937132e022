package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.courier.CourierOptions;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;

/**
 * The instruments of C19's metrics test: a {@link SimpleMeterRegistry} and the counts a scripted run must leave in
 * it, read by the metric names of the README's "Metrics" table: {@link #SENT} messages sent, {@link #FAILING_ONCE} of
 * them failing their first attempt, the last one dead-lettered as not retryable.
 */
final class MetricsCheck {
    static final int SENT = 20;
    static final int FAILING_ONCE = 3;
    /** After the run looks finished, how long the counts must stay still (a late duplicate would show here). */
    private static final Duration QUIET = Duration.ofSeconds(2);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    CourierOptions options() { return CourierOptions.defaults().meterRegistry(registry); }

    /** Waits until the dead letter is counted and every handler run timed, then for {@link #QUIET} more. */
    boolean awaitRun(String group, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count("courier.dead.letters", group) < 1 || processed(group) < SENT + FAILING_ONCE) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(20);
        }
        Thread.sleep(QUIET.toMillis());
        return true;
    }

    /**
     * Waits until the {@code courier.backlog} gauge of {@code group} satisfies {@code done} or reads NaN (the broker
     * cannot tell); returns its last value. Fails when the gauge never appeared (the runtime did not poll the admin).
     */
    double awaitBacklog(String group, java.util.function.DoublePredicate done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Double v = null;
        while (System.nanoTime() < deadline) {
            var gauge = registry.find("courier.backlog").tag("messaging.consumer.group.name", group).gauge();
            if (gauge != null) {
                v = gauge.value();
                if (Double.isNaN(v) || done.test(v)) return v;
            }
            Thread.sleep(50);
        }
        if (v == null) throw new AssertionError("no courier.backlog gauge for group " + group + " within " + timeout + "; " + summary(group));
        return v;
    }

    void assertExactCounts(String group, String destination, String deadLetterDestination) {
        String all = summary(group);
        assertEquals(SENT, sent(destination), "messaging.client.sent.messages to " + destination + "; " + all);
        assertEquals(1, sent(deadLetterDestination), "messaging.client.sent.messages to " + deadLetterDestination + "; " + all);
        assertEquals(SENT + FAILING_ONCE, count("messaging.client.consumed.messages", group), "messaging.client.consumed.messages; " + all);
        assertEquals(SENT + FAILING_ONCE, processed(group), "messaging.process.duration count; " + all);
        assertEquals(FAILING_ONCE, count("courier.redeliveries", group), "courier.redeliveries; " + all);
        assertEquals(FAILING_ONCE, sum(registry.find("courier.redeliveries").tag("messaging.consumer.group.name", group).tag("courier.attempt", "2")),
                "courier.redeliveries of attempt 2; " + all);
        assertEquals(1, sum(registry.find("courier.dead.letters").tag("messaging.consumer.group.name", group)
                .tag("courier.dead_letter.reason", "not_retryable")), "courier.dead.letters not_retryable; " + all);
        assertEquals(0, registry.find("courier.in.flight").tag("messaging.consumer.group.name", group).gauge().value(),
                "courier.in.flight at the end; " + all);
    }

    /** Every meter of the group or its destinations, for failure messages. */
    String summary(String group) {
        StringBuilder b = new StringBuilder("meters:");
        for (Meter m : registry.getMeters()) {
            String g = m.getId().getTag("messaging.consumer.group.name"), d = m.getId().getTag("messaging.destination.name");
            if (group.equals(g) || (d != null && d.contains("@" + group))) {
                b.append(' ').append(m.getId().getName()).append(m.getId().getTags()).append('=').append(value(m));
            }
        }
        return b.toString();
    }

    private double sent(String destination) {
        return sum(registry.find("messaging.client.sent.messages").tag("messaging.destination.name", destination).tag("error.type", ""));
    }

    private double count(String name, String group) { return sum(registry.find(name).tag("messaging.consumer.group.name", group)); }

    private long processed(String group) {
        return registry.find("messaging.process.duration").tag("messaging.consumer.group.name", group).timers().stream().mapToLong(t -> t.count()).sum();
    }

    private static double sum(Search s) { return s.counters().stream().mapToDouble(c -> c.count()).sum(); }

    private static String value(Meter m) {
        StringBuilder b = new StringBuilder();
        m.measure().forEach(x -> b.append(b.isEmpty() ? "" : "/").append(x.getValue()));
        return b.toString();
    }
}
