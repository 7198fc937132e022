package io.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.runtime.ScriptedReceiver;
import io.courier.spi.Capabilities;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import io.courier.spi.TransportUrl;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Defects of the facade and the runtime found by using Courier as a new user would; each test failed before its fix. */
class CourierDefectsTest {

    /** A transport of {@link ScriptedReceiver}s, one per group; sends succeed; opening may be made to fail. */
    static final class ScriptedTransport implements Transport {
        final Map<String, ScriptedReceiver> receivers = new ConcurrentHashMap<>();
        volatile RuntimeException openFailure;

        ScriptedReceiver receiver(String group) { return receivers.computeIfAbsent(group, g -> new ScriptedReceiver()); }

        @Override public Capabilities capabilities() { return new Capabilities(1 << 20, true, false, Duration.ZERO, Map.of()); }

        @Override public CompletableFuture<Void> send(List<Message> batch) { return CompletableFuture.completedFuture(null); }

        @Override
        public Receiver openReceiver(ReceiverSpec spec) {
            if (openFailure != null) throw openFailure;
            return receiver(spec.group());
        }

        @Override public void close() {}
    }

    private static Courier scripted(ScriptedTransport t) { return Courier.wrap(t, TransportUrl.parse("scripted://test")); }

    private static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(5);
        }
        return true;
    }

    @Test
    void c13_aHandlerFailingItsLastAttemptDuringCloseStillDeadLetters() throws Exception {
        String engine = "close-" + UUID.randomUUID().toString().substring(0, 8);
        CountDownLatch started = new CountDownLatch(1);
        try (Courier c = Courier.connect("mem://" + engine)) {
            c.subscribe(SubscriptionOptions.group("jobs").maxAttempts(1).closeGrace(Duration.ofSeconds(5)).build(), d -> {
                started.countDown();
                Thread.sleep(300);
                throw new IllegalStateException("failed while the subscription closes");
            });
            c.send(Message.to("any@jobs").id("last").payload("x").build()).join();
            assertTrue(started.await(5, TimeUnit.SECONDS));
        } // close() while the handler runs its last attempt
        try (Courier c = Courier.connect("mem://" + engine)) {
            BlockingQueue<Delivery> dead = new LinkedBlockingQueue<>();
            c.subscribe(SubscriptionOptions.group("jobs.dlq").build(), dead::add);
            Delivery d = dead.poll(5, TimeUnit.SECONDS);
            assertTrue(d != null, "the last attempt's failure must reach jobs.dlq, not go back to the group");
            assertEquals("last", d.message().id());
        }
    }

    @Test
    void c16_aBlockingNackOfOneSubscriptionDoesNotStallAnotherSubscriptionsLeases() throws Exception {
        ScriptedTransport t = new ScriptedTransport();
        ScriptedReceiver slow = t.receiver("slow"), busy = t.receiver("busy");
        CountDownLatch gate = new CountDownLatch(1);
        slow.nackGate = gate; // like a blocking SQS ChangeMessageVisibilityBatch
        CountDownLatch release = new CountDownLatch(1);
        try (Courier c = scripted(t)) {
            c.subscribe(SubscriptionOptions.group("slow").ackDeadline(Duration.ofMillis(60)).maxHandlingTime(Duration.ofMillis(100))
                    .closeGrace(Duration.ZERO).build(), d -> Thread.sleep(60_000));
            c.subscribe(SubscriptionOptions.group("busy").ackDeadline(Duration.ofMillis(150)).closeGrace(Duration.ZERO).build(),
                    d -> release.await());
            busy.offer(Message.to("any@busy").id("b").payload("x").build(), 1);
            slow.offer(Message.to("any@slow").id("s").payload("x").build(), 1);
            assertTrue(slow.nackEntered.await(5, TimeUnit.SECONDS), "the slow handler is failed past maxHandlingTime");
            int before = busy.extended.size();
            boolean extended = await(() -> busy.extended.size() > before + 2, Duration.ofSeconds(3));
            release.countDown();
            gate.countDown();
            assertTrue(extended, "busy's lease must keep being extended while slow's nack blocks");
        }
    }

    @Test
    void aLateSettlementReturnsFalseEvenWhenItRacesTheFirst() throws Exception {
        ScriptedTransport t = new ScriptedTransport();
        ScriptedReceiver r = t.receiver("race");
        int n = 2_000;
        AtomicInteger doubleWins = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(n);
        try (Courier c = scripted(t)) {
            c.subscribe(SubscriptionOptions.group("race").build(), d -> {
                CyclicBarrier both = new CyclicBarrier(2);
                CompletableFuture<Boolean> other = CompletableFuture.supplyAsync(() -> {
                    try { both.await(); } catch (Exception e) { throw new IllegalStateException(e); }
                    return d.ack();
                });
                both.await();
                boolean mine = d.deadLetter("raced");
                if (mine && other.join()) doubleWins.incrementAndGet();
                done.countDown();
            });
            for (int i = 0; i < n; i++) r.offer(Message.to("any@race").id("m" + i).payload("x").build(), 1);
            assertTrue(done.await(60, TimeUnit.SECONDS));
        }
        assertEquals(0, doubleWins.get(), "an ack and a dead letter both reported that they settled the same delivery");
    }

    @Test
    void aSubscribeThatFailsLeavesNothingBehindAndCloseIsClean() {
        ScriptedTransport t = new ScriptedTransport();
        t.openFailure = new TransportUnavailableException("broker down (scripted)");
        List<Throwable> uncaught = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> uncaught.add(e));
        try {
            Courier c = scripted(t);
            assertThrows(TransportUnavailableException.class, () -> c.subscribe(SubscriptionOptions.group("g").build(), d -> {}));
            c.close(); // closed the failed subscription too, whose close threw NullPointerException on its closer thread
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(previous);
        }
        assertEquals(List.of(), uncaught);
    }
}
