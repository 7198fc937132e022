package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import io.courier.Subscription;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * C1 accept, C2 at-least-once and C5 ack without faults: what is accepted is delivered, nothing is lost while
 * consumers crash, close and reopen, and what is acked does not come back. The same clauses under broker restarts and
 * connection cuts are in {@link FaultClauses}.
 * Part of {@link ConformanceSuite}: extend that, not this.
 */
public abstract class DeliveryClauses extends SuiteContext {
    // =====================================================================================================
    // C1 accept
    // =====================================================================================================

    @Test
    @Clause("C1")
    public void c1_everySendReportedAcceptedIsDelivered() throws Exception {
        String g = group("c1");
        Collector col = new Collector();
        subscribe(courier, opts(g).concurrency(4).build(), col.as("m1"));
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            Message m = msg(g, i);
            ids.add(m.id());
            fs.add(courier.send(m));
        }
        for (CompletableFuture<Void> f : fs) f.get(LONG.toSeconds(), TimeUnit.SECONDS);
        lossCheck(ids, col, LONG);
    }

    // =====================================================================================================
    // C2 at-least-once
    // =====================================================================================================

    @Test
    @Clause("C2")
    public void c2_noLossOfManyMessagesAcrossMembers() throws Exception {
        String g = group("c2");
        Collector col = new Collector();
        for (int i = 0; i < 3; i++) subscribe(courier, opts(g).member("m" + i).concurrency(4).build(), col.as("m" + i));
        List<String> ids = sendAll(courier, g, lossCount());
        lossCheck(ids, col, LONG);
    }

    @Test
    @Clause("C2")
    public void c2_noLossWhenAConsumerCrashesBeforeAcking() throws Exception {
        String g = group("c2-crash");
        List<String> ids = sendAll(courier, g, 50);
        Receiver crashing = receiver(g, null, 50, Duration.ofSeconds(60));
        List<Received> got = receiveAtLeast(crashing, 1, Duration.ofSeconds(30));
        assertFalse(got.isEmpty(), "nothing received");
        crashing.close(); // a crash: nothing settled
        Collector col = new Collector();
        subscribe(courier, opts(g).build(), col.as("survivor"));
        lossCheck(ids, col, LONG);
    }

    @Test
    @Clause("C2")
    public void c2_noLossWhileSubscribersCloseAndReopenDuringSends() throws Exception {
        String g = group("c2-churn");
        Collector col = new Collector();
        int n = 3_000;
        CompletableFuture<List<String>> sending = CompletableFuture.supplyAsync(() -> {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < n; i += 50) {
                List<Message> batch = new ArrayList<>();
                for (int j = i; j < Math.min(n, i + 50); j++) batch.add(msg(g, j));
                courier.send(batch).join();
                batch.forEach(m -> ids.add(m.id()));
                sleep(5); // paced, so that the sends overlap the subscribers' churn
            }
            return ids;
        });
        for (int cycle = 0; cycle < 8; cycle++) {
            Subscription a = courier.subscribe(opts(g).member("a").closeGrace(Duration.ofMillis(200)).build(), col.as("a"));
            Subscription b = courier.subscribe(opts(g).member("b").closeGrace(Duration.ofMillis(200)).build(), col.as("b"));
            Thread.sleep(250); // each pair lives 250 ms: the churn is the test
            a.close();
            b.close();
        }
        List<String> ids = sending.get(LONG.toSeconds(), TimeUnit.SECONDS);
        subscribe(courier, opts(g).member("final").concurrency(4).build(), col.as("final"));
        lossCheck(ids, col, LONG);
    }

    @Test
    @Clause("C2")
    public void c2_aSendAtTheMomentAReceiveTimesOutIsNotLost() throws Exception {
        String g = group("c2-edge");
        Receiver r = receiver(g, null, 10, Duration.ofSeconds(30));
        Set<String> got = ConcurrentHashMap.newKeySet();
        CountDownLatch stop = new CountDownLatch(1);
        Thread loop = Thread.ofVirtual().start(() -> {
            while (stop.getCount() > 0) {
                try {
                    List<? extends Received> batch = r.receive(10, Duration.ofMillis(200));
                    batch.forEach(x -> got.add(x.message().id()));
                    if (!batch.isEmpty()) r.ack(batch);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            Thread.sleep(190 + (i % 5) * 5); // lands on or around the end of a 200 ms receive
            Message m = msg(g, i);
            courier.send(m).get(60, TimeUnit.SECONDS);
            ids.add(m.id());
        }
        waitFor(() -> got.containsAll(ids), Duration.ofSeconds(60));
        stop.countDown();
        loop.join(5_000);
        Set<String> missing = new HashSet<>(ids);
        missing.removeAll(got);
        report.count(ids.size(), missing.size(), 0);
        assertTrue(missing.isEmpty(), "lost " + missing.size() + " messages sent as a receive timed out, e.g. " + missing.stream().limit(5).toList());
    }

    // =====================================================================================================
    // C5 ack
    // =====================================================================================================

    @Test
    @Clause("C5")
    public void c5_ackedMessagesAreNotDeliveredAgain() throws Exception {
        String g = group("c5");
        Collector col = new Collector();
        Duration deadline = Duration.ofSeconds(2);
        subscribe(courier, opts(g).ackDeadline(deadline).concurrency(4).build(), col.as("m"));
        List<String> ids = sendAll(courier, g, 500);
        assertTrue(col.awaitAll(ids, LONG).isEmpty(), "not every message arrived");
        Thread.sleep(deadline.toMillis() * 2 + 1_000); // the window of the test: twice the ack deadline, in which no acked message may come back
        int dups = col.duplicates();
        report.count(ids.size(), 0, dups);
        assertEquals(0, dups, "acked messages were delivered again: " + dups + " duplicates");
    }

    @Test
    @Clause("C5")
    public void c5_settlementEdgeCasesAreDefinedAndLoseNothing() throws Exception {
        String g = group("c5-edge");
        List<String> ids = sendAll(courier, g, 3);
        Receiver r = receiver(g, null, 10, Duration.ofSeconds(30));
        List<Received> got = receiveAtLeast(r, 3, Duration.ofSeconds(60));
        assertEquals(3, got.size(), "expected the 3 messages");
        Received one = got.get(0), two = got.get(1), three = got.get(2);
        r.ack(List.of(one));
        r.ack(List.of(one)); // ack twice: no effect, no exception
        r.nack(List.of(two), Duration.ZERO);
        r.ack(List.of(two)); // ack after nack: defined (the nack stands or the ack wins), never an exception
        r.close();
        r.nack(List.of(three), Duration.ZERO); // settle after close: harmless, the message was released by the close
        r.extendLease(List.of(three), Duration.ofSeconds(5));
        r.close(); // close twice
        Collector col = new Collector();
        subscribe(courier, opts(g).build(), col.as("m"));
        Set<String> missing = col.awaitAll(List.of(three.message().id()), LONG);
        assertTrue(missing.isEmpty(), "a message released by close and nacked after it was lost");
        Thread.sleep(1_500); // the window of the test: the message acked twice must not come back in it
        assertEquals(0, col.count(one.message().id()), "a message acked twice was delivered again");
        report.count(ids.size(), missing.size(), 0);
    }

    @Test
    @Clause("C5")
    public void c5_aLateAckAfterTheLeaseExpiredLosesNothing() throws Exception {
        String g = group("c5-late");
        Message m = msg(g, 0);
        courier.send(m).get(60, TimeUnit.SECONDS);
        Receiver first = receiver(g, "first", 1, Duration.ofSeconds(2));
        List<Received> a = receiveAtLeast(first, 1, Duration.ofSeconds(30));
        assertEquals(1, a.size());
        Receiver second = receiver(g, "second", 1, Duration.ofSeconds(30));
        List<Received> b = receiveAtLeast(second, 1, Duration.ofSeconds(60));
        assertEquals(1, b.size(), "the message did not go to another member after its lease expired");
        assertEquals(m.id(), b.get(0).message().id());
        first.ack(a); // late ack: defined (ignored or accepted), never an exception
        second.ack(b);
        Thread.sleep(3_000); // the window of the test: past the 2 s lease, the message acked late must not come back
        Receiver third = receiver(g, "third", 5, Duration.ofSeconds(30));
        List<? extends Received> again = third.receive(5, Duration.ofSeconds(2));
        assertTrue(again.isEmpty(), "the message came back after both acks");
    }
}
