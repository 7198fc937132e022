package io.courier.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * C11 backpressure and C13 close: a consumer holds no more than its prefetch, and closing a subscription or a
 * Courier finishes, settles or hands back everything in flight.
 * Part of {@link ConformanceSuite}: extend that, not this.
 */
public abstract class FlowClauses extends FidelityClauses {
    // =====================================================================================================
    // C11 backpressure
    // =====================================================================================================

    @Test
    @Clause("C11")
    public void c11_aSlowConsumerHoldsAtMostItsPrefetch() throws Exception {
        String g = group("c11");
        sendAll(courier, g, 300);
        int prefetch = 8;
        Subscription s = subscribe(courier, opts(g).concurrency(2).prefetch(prefetch).build(), d -> Thread.sleep(20)); // the slow consumer
        int max = 0;
        long end = System.currentTimeMillis() + 3_000;
        while (System.currentTimeMillis() < end) {
            max = Math.max(max, s.inFlight());
            Thread.sleep(2); // the sampling period of the 3 s window the test watches
        }
        assertTrue(max > 0, "the consumer never received anything");
        assertTrue(max <= prefetch, "the consumer held " + max + " unsettled deliveries with a prefetch of " + prefetch);
    }

    @Test
    @Clause("C11")
    public void c11_receiveNeverReturnsMoreThanAskedFor() throws Exception {
        String g = group("c11-max");
        sendAll(courier, g, 50);
        Receiver r = receiver(g, null, 7, Duration.ofSeconds(30));
        List<Received> all = new ArrayList<>();
        long end = System.currentTimeMillis() + 60_000;
        while (all.size() < 50 && System.currentTimeMillis() < end) {
            List<? extends Received> got = r.receive(7, Duration.ofMillis(500));
            assertTrue(got.size() <= 7, "receive(7) returned " + got.size());
            all.addAll(got);
            r.ack(got);
        }
        assertEquals(50, all.stream().map(x -> x.message().id()).distinct().count());
    }

    // =====================================================================================================
    // C13 close
    // =====================================================================================================

    @Test
    @Clause("C13")
    public void c13_closeLetsInFlightHandlersFinishAndSettles() throws Exception {
        String g = group("c13");
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Subscription s = courier.subscribe(opts(g).ackDeadline(Duration.ofSeconds(2)).closeGrace(Duration.ofSeconds(20)).build(), d -> {
            started.countDown();
            Thread.sleep(1_000); // in flight when close is called
            finished.incrementAndGet();
        });
        perTest.add(s);
        courier.send(msg(g, 0)).get(60, TimeUnit.SECONDS);
        assertTrue(started.await(60, TimeUnit.SECONDS), "handler never started");
        s.close();
        assertEquals(1, finished.get(), "close did not wait for the in-flight handler");
        Collector after = new Collector();
        subscribe(courier, opts(g).build(), after.as("after"));
        Thread.sleep(5_000); // the window of the test: past the 2 s ack deadline, the message settled during close must not come back
        assertEquals(0, after.total(), "a message finished during close was delivered again (not settled)");
    }

    @Test
    @Clause("C13")
    public void c13_unfinishedWorkIsRedeliveredToOthers() throws Exception {
        String g = group("c13-unfinished");
        CountDownLatch started = new CountDownLatch(1);
        Subscription stuck = courier.subscribe(opts(g).member("stuck").ackDeadline(Duration.ofSeconds(120)).closeGrace(Duration.ofMillis(300)).build(), d -> {
            started.countDown();
            Thread.sleep(600_000); // stuck: interrupted when close's grace period passes
        });
        perTest.add(stuck);
        Message m = msg(g, 0);
        courier.send(m).get(60, TimeUnit.SECONDS);
        assertTrue(started.await(60, TimeUnit.SECONDS), "handler never started");
        Collector others = new Collector();
        subscribe(courier, opts(g).member("other").build(), others.as("other"));
        long t0 = System.currentTimeMillis();
        stuck.close();
        assertTrue(System.currentTimeMillis() - t0 < 30_000, "close did not respect its grace period");
        lossCheck(List.of(m.id()), others, Duration.ofSeconds(60));
    }

    @Test
    @Clause("C13")
    public void c13_thousandsOfParallelSendsThenCloseAreAllFlushed() throws Exception {
        String g = group("c13-flush");
        Courier c = fx.connect(fx.url());
        List<CompletableFuture<Void>> fs = Collections.synchronizedList(new ArrayList<>());
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int base = t * 500;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = base; i < base + 500; i++) {
                    Message m = msg(g, i);
                    ids.add(m.id());
                    fs.add(c.send(m));
                }
            }));
        }
        for (Thread t : threads) t.join();
        c.close();
        int failed = 0;
        for (CompletableFuture<Void> f : fs) {
            assertTrue(f.isDone(), "a send was still pending after close");
            if (f.isCompletedExceptionally()) failed++;
        }
        assertEquals(0, failed, failed + " of " + fs.size() + " sends failed around close");
        Collector col = new Collector();
        subscribe(courier, opts(g).concurrency(8).build(), col.as("m"));
        lossCheck(ids, col, LONG);
    }

    @Test
    @Clause("C13")
    public void c13_concurrentCloseOfManySubscribersLosesNothing() throws Exception {
        String g = group("c13-many");
        Collector col = new Collector();
        List<Subscription> subs = new ArrayList<>();
        for (int i = 0; i < 20; i++) subs.add(courier.subscribe(opts(g).member("m" + i).closeGrace(Duration.ofSeconds(5)).build(), d -> {
            Thread.sleep(5); // a handler that takes a while, so that close finds work in flight
            col.record(d, "m");
        }));
        List<String> ids = sendAll(courier, g, 400);
        col.awaitTotal(100, LONG);
        List<Thread> closers = new ArrayList<>();
        for (Subscription s : subs) {
            closers.add(Thread.ofVirtual().start(s::close));
            closers.add(Thread.ofVirtual().start(s::close)); // close twice, concurrently
        }
        long t0 = System.currentTimeMillis();
        for (Thread t : closers) t.join(60_000);
        assertTrue(System.currentTimeMillis() - t0 < 60_000, "closing 20 subscriptions took too long");
        assertTrue(subs.stream().allMatch(Subscription::isClosed));
        subscribe(courier, opts(g).member("rest").concurrency(4).build(), col.as("rest"));
        lossCheck(ids, col, LONG);
    }
}
