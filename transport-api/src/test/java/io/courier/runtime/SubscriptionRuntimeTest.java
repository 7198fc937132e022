package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Handler;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The runtime assembled from its units, against a scripted receiver: no broker, conditions instead of sleeps. */
class SubscriptionRuntimeTest {
    private final ScriptedHost host = new ScriptedHost();
    private final ScriptedReceiver receiver = host.receiver;

    private Subscription start(SubscriptionOptions.Builder options, Handler handler) {
        SubscriptionRuntime s = new SubscriptionRuntime(host, options.pollWait(Duration.ofMillis(20)).build(), handler, x -> {});
        s.start();
        return s;
    }

    private static Message m(String id, String key) { return Message.to("any@g").id(id).payload("x").orderingKey(key).build(); }

    @Test
    void c5_acksAreCoalescedIntoFewCalls() throws Exception {
        for (int i = 0; i < 200; i++) receiver.offer(m("m" + i, null), 1);
        try (Subscription s = start(SubscriptionOptions.group("g").prefetch(64), d -> {})) {
            assertTrue(Await.until(() -> receiver.acked.size() == 200, Duration.ofSeconds(10)));
        }
        assertTrue(receiver.ackCalls.size() < 200, "one ack call per message: " + receiver.ackCalls.size());
    }

    @Test
    void c11_withoutPrefetchTheWindowDoublesOnABacklogAndTheReceiverIsToldEachStep() throws Exception {
        for (int i = 0; i < 3_000; i++) receiver.offer(m("m" + i, null), 1);
        try (Subscription s = start(SubscriptionOptions.group("g"), d -> {})) {
            assertTrue(Await.until(() -> receiver.acked.size() == 3_000, Duration.ofSeconds(20)));
        }
        assertEquals(List.of(32, 64, 128, 256, 512), receiver.windows);
        assertTrue(receiver.largestAsk <= 512, "asked " + receiver.largestAsk); // room = window − unsettled
    }

    @Test
    void c11_anExplicitPrefetchIsAFixedWindow() throws Exception {
        for (int i = 0; i < 500; i++) receiver.offer(m("m" + i, null), 1);
        try (Subscription s = start(SubscriptionOptions.group("g").prefetch(16), d -> {})) {
            assertTrue(Await.until(() -> receiver.acked.size() == 500, Duration.ofSeconds(10)));
        }
        assertEquals(List.of(), receiver.windows);
        assertTrue(receiver.largestAsk <= 16, "asked " + receiver.largestAsk);
    }

    @Test
    void c15_aFailingHandlerIsRetriedThenDeadLetteredOnItsLastAttempt() throws Exception {
        receiver.offer(m("early", null), 1);
        receiver.offer(m("last", null), 3);
        receiver.offer(m("past", null), 4);
        List<String> ran = new CopyOnWriteArrayList<>();
        try (Subscription s = start(SubscriptionOptions.group("g").maxAttempts(3), d -> {
            ran.add(d.message().id());
            throw new IllegalStateException("boom");
        })) {
            assertTrue(Await.until(() -> host.sent.size() == 2 && receiver.nacked.size() == 1, Duration.ofSeconds(10)));
        }
        assertEquals(List.of("early", "last"), ran, "the delivery past maxAttempts is dead-lettered without running");
        assertEquals("early", receiver.nacked.get(0).message().id());
        assertEquals(List.of("last", "past"), host.sent.stream().map(Message::id).sorted().toList());
    }

    @Test
    void c9_aKeysMessagesRunOneAtATimeInFetchOrder() throws Exception {
        for (int i = 0; i < 50; i++) receiver.offer(m("m" + i, i % 2 == 0 ? "even" : "odd"), 1);
        AtomicInteger evenRunning = new AtomicInteger();
        List<String> even = new CopyOnWriteArrayList<>();
        List<String> overlaps = new CopyOnWriteArrayList<>();
        try (Subscription s = start(SubscriptionOptions.group("g").concurrency(4), d -> {
            if (!"even".equals(d.message().orderingKey())) return;
            if (evenRunning.incrementAndGet() > 1) overlaps.add(d.message().id());
            even.add(d.message().id());
            Thread.onSpinWait();
            evenRunning.decrementAndGet();
        })) {
            assertTrue(Await.until(() -> receiver.acked.size() == 50, Duration.ofSeconds(10)));
        }
        assertEquals(List.of(), overlaps);
        for (int i = 0; i < 25; i++) assertEquals("m" + (2 * i), even.get(i));
    }

    @Test
    void c13_closeNacksTheUnfinishedAndReleasesTheUnstarted() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        for (int i = 0; i < 5; i++) receiver.offer(m("m" + i, null), 1);
        Subscription s = start(SubscriptionOptions.group("g").prefetch(8), d -> {
            running.countDown();
            new CountDownLatch(1).await(); // until interrupted by close
        });
        assertTrue(running.await(5, TimeUnit.SECONDS));
        assertTrue(Await.until(() -> s.inFlight() == 5, Duration.ofSeconds(5)));
        s.close(Duration.ZERO);
        assertEquals(List.of("m0"), receiver.nacked.stream().map(r -> r.message().id()).toList());
        assertEquals(4, receiver.released.size());
        assertTrue(receiver.closed);
    }

    @Test
    void awaitReadyWaitsForTheReceiverToConsume() throws Exception {
        CountDownLatch assigned = new CountDownLatch(1);
        receiver.readyGate = assigned;
        try (Subscription s = start(SubscriptionOptions.group("g"), d -> {})) {
            assertEquals(false, s.awaitReady(Duration.ofMillis(50)));
            assigned.countDown();
            assertTrue(s.awaitReady(Duration.ofSeconds(1)));
        }
    }

    @Test
    void c16_aHandlerPastMaxHandlingTimeFailsByTheRetryPathAndIsInterrupted() throws Exception {
        receiver.offer(m("slow", null), 1);
        CountDownLatch interrupted = new CountDownLatch(1);
        try (Subscription s = start(SubscriptionOptions.group("g").ackDeadline(Duration.ofMillis(60)).maxHandlingTime(Duration.ofMillis(150)), d -> {
            try { new CountDownLatch(1).await(); } catch (InterruptedException e) { interrupted.countDown(); }
        })) {
            assertTrue(interrupted.await(5, TimeUnit.SECONDS));
            assertTrue(Await.until(() -> receiver.nacked.size() == 1, Duration.ofSeconds(5)));
            assertTrue(receiver.extended.size() > 0, "its lease was extended while it ran");
        }
        assertEquals(List.of(), receiver.acked);
    }
}
