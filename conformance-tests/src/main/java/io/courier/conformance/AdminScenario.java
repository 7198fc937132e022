package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import io.courier.spi.Admin;
import io.courier.spi.GroupStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The operator scenario every transport's {@link Admin} test runs against its real broker: traffic on a group (a
 * message to a member queue, a keyed message, a poison message redelivered once and then dead-lettered by the
 * runtime), the dead letter counted by {@code stats}, a backlog of 1,000 counted within {@code tolerance}, then
 * {@code deleteGroup}: afterwards the broker's own client (the {@link BrokerView}) finds no resource of the group or
 * of its dead-letter group, while two groups named like it but for {@code _} and {@code -} keep their messages; a
 * second delete finds nothing, and the same client can send to the group again.
 * Group names start with {@code adm-} and a random part, so that parallel runs on a shared broker never meet.
 *
 * @param url       the transport's URL
 * @param broker    the broker's own view of a group's resources
 * @param tolerance how far the backlog count may be off (0 for brokers that count exactly)
 */
public record AdminScenario(String url, BrokerView broker, long tolerance) {
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** What the broker itself (its own client, not Courier's) says exists for a group. */
    @FunctionalInterface
    public interface BrokerView {
        /** The names of the broker resources (queues, topics, streams, consumer groups …) of {@code group}; empty when none. */
        Set<String> resourcesOf(String group) throws Exception;
    }

    /** A fresh group name {@code adm-<random>.a}; its look-alikes replace the {@code .} with {@code _} and {@code -}. */
    public static String freshGroup() { return "adm-" + UUID.randomUUID().toString().substring(0, 8) + ".a"; }

    /** Runs the whole scenario; fails with an assertion naming the step that went wrong. */
    public void run() throws Exception {
        String group = freshGroup();
        List<String> lookAlikes = List.of(group.replace('.', '_'), group.replace('.', '-'));
        try (Courier courier = Courier.connect(url)) {
            Admin admin = courier.transport().admin().orElseThrow(() -> new AssertionError(url + " offers no Admin"));
            try {
                traffic(courier, group);
                GroupStats afterTraffic = awaitCount(() -> admin.stats(group), GroupStats::deadLetters, 1, 0);
                assertEquals(group, afterTraffic.group());

                send(courier, group, 1000);
                awaitCount(() -> admin.stats(group), GroupStats::backlog, 1000, tolerance);
                for (String other : lookAlikes) send(courier, other, 2);
                for (String other : lookAlikes) awaitCount(() -> admin.stats(other), GroupStats::backlog, 2, 0);

                assertFalse(broker.resourcesOf(group).isEmpty(), "the broker's client sees the group before the delete");
                assertTrue(admin.deleteGroup(group), "deleteGroup says it removed something");
                assertEquals(Set.of(), broker.resourcesOf(group), "resources of " + group + " left on the broker");
                assertEquals(Set.of(), broker.resourcesOf(group + ".dlq"), "resources of " + group + ".dlq left on the broker");
                for (String other : lookAlikes) {
                    assertFalse(broker.resourcesOf(other).isEmpty(), other + " keeps its resources");
                    assertEquals(OptionalLong.of(2), admin.stats(other).backlog(), other + " keeps its messages");
                }
                assertFalse(admin.deleteGroup(group), "deleting an absent group succeeds and says nothing was there");

                send(courier, group, 1); // the same client uses the group again: its resources are made anew
                awaitCount(() -> admin.stats(group), GroupStats::backlog, 1, 0);
            } finally {
                for (String other : lookAlikes) admin.deleteGroup(other);
                admin.deleteGroup(group);
            }
        }
    }

    /**
     * {@link Admin#groups}: two look-alike groups {@code lst-<random>-x.y} and {@code lst-<random>-x_y}, the first with
     * a member message, a keyed message and a dead letter in {@code lst-<random>-x.y.dlq}; listed by their prefix,
     * exactly those three names come back (no member, key, retry or registry resource as an entry of its own; the
     * look-alikes apart); a longer prefix narrows the listing, the full listing holds them too; after deleting the
     * first group (and with it its {@code .dlq}) only the second is listed. Transport-neutral: each transport's
     * {@code *AdminTest} runs it against its real broker.
     */
    public static void listing(String url) throws Exception {
        String base = "lst-" + UUID.randomUUID().toString().substring(0, 8);
        String dotted = base + "-x.y", underscored = base + "-x_y";
        try (Courier courier = Courier.connect(url)) {
            Admin admin = courier.transport().admin().orElseThrow(() -> new AssertionError(url + " offers no Admin"));
            try {
                courier.send(List.of(Message.to("any@" + dotted).id("a").payload("a").build(),
                        Message.to("uni@" + dotted + "/w1").id("direct").payload("d").build(),
                        Message.to("any@" + dotted).id("keyed").orderingKey("k1").payload("k").build(),
                        Message.to("any@" + dotted + ".dlq").id("dead").payload("x").build(),
                        Message.to("any@" + underscored).id("b").payload("b").build())).join();
                awaitListing(admin, base, List.of(dotted, dotted + ".dlq", underscored));
                assertEquals(List.of(dotted, dotted + ".dlq"), admin.groups(base + "-x.").groups(), "a longer prefix narrows the listing");
                List<String> all = admin.groups("").groups();
                assertTrue(all.containsAll(List.of(dotted, dotted + ".dlq", underscored)), "the full listing holds them too");
                assertEquals(all.stream().sorted().distinct().toList(), all, "sorted, each group once");

                assertTrue(admin.deleteGroup(dotted), "deleteGroup says it removed something");
                awaitListing(admin, base, List.of(underscored));
            } finally {
                admin.deleteGroup(dotted);
                admin.deleteGroup(underscored);
            }
        }
    }

    /** Polls until {@code groups(prefix)} lists exactly {@code expected} (brokers whose listing lags, e.g. Amazon SQS); fails after a minute. */
    private static void awaitListing(Admin admin, String prefix, List<String> expected) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> listed = admin.groups(prefix).groups();
        while (!listed.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            listed = admin.groups(prefix).groups();
        }
        assertEquals(expected, listed, "the groups listed with prefix " + prefix);
    }

    /** A member message, a keyed message and a poison message that is redelivered once, then dead-lettered. */
    private static void traffic(Courier courier, String group) throws Exception {
        Set<String> handled = ConcurrentHashMap.newKeySet();
        AtomicInteger poisonAttempts = new AtomicInteger();
        SubscriptionOptions options = SubscriptionOptions.group(group).member("w1").retry(RetryPolicy.immediate(2))
                .ackDeadline(Duration.ofSeconds(30)).build();
        try (Subscription s = courier.subscribe(options, d -> {
            if (d.message().id().equals("poison")) {
                poisonAttempts.incrementAndGet();
                throw new IllegalStateException("poison (a test failure on purpose)");
            }
            handled.add(d.message().id());
        })) {
            assertTrue(s.awaitReady(WAIT), "subscription ready");
            courier.send(List.of(Message.to("uni@" + group + "/w1").id("direct").payload("d").build(),
                    Message.to("any@" + group).id("keyed").orderingKey("k1").payload("k").build(),
                    Message.to("any@" + group).id("poison").payload("p").build())).join();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!(handled.containsAll(Set.of("direct", "keyed")) && poisonAttempts.get() >= 2) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(handled.containsAll(Set.of("direct", "keyed")), "member and keyed messages handled: " + handled);
            assertEquals(2, poisonAttempts.get(), "the poison message was delivered, redelivered once, then dead-lettered");
        }
    }

    private static void send(Courier courier, String group, int n) {
        List<Message> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) batch.add(Message.to("any@" + group).id(group + "-" + i).payload("m" + i).build());
        courier.send(batch).join();
    }

    /** Polls until {@code count} of the stats is {@code expected} within {@code tolerance}; fails after a minute. */
    private static GroupStats awaitCount(Supplier<GroupStats> stats, java.util.function.Function<GroupStats, OptionalLong> count,
                                         long expected, long tolerance) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        GroupStats s = stats.get();
        while (System.nanoTime() < deadline) {
            OptionalLong n = count.apply(s);
            assertTrue(n.isPresent(), "the count is known: " + s);
            if (Math.abs(n.getAsLong() - expected) <= tolerance) return s;
            Thread.sleep(200);
            s = stats.get();
        }
        throw new AssertionError("expected " + expected + " (± " + tolerance + ") within " + WAIT.toSeconds() + " s, last stats " + s);
    }
}
