package io.courier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Unit tests of the shared runtime on mem:// (the conformance suite proves the contract clause by clause). */
class RuntimeOnMemTest {

    private static String group() { return "g-" + UUID.randomUUID().toString().substring(0, 8); }

    @Test
    void deliversEveryMessageOnceWhenHandlersSucceed() throws Exception {
        String g = group();
        try (Courier c = Courier.connect("mem://unit")) {
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 1000; i++) batch.add(Message.to(Destination.any(g)).id("m" + i).payload("p" + i).build());
            c.send(batch).join();
            Set<String> seen = ConcurrentHashMap.newKeySet();
            CountDownLatch done = new CountDownLatch(1000);
            c.subscribe(SubscriptionOptions.group(g).concurrency(4).build(), d -> { if (seen.add(d.message().id())) done.countDown(); });
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertEquals(1000, seen.size());
        }
    }

    @Test
    void alwaysFailingHandlerRunsExactlyMaxAttemptsThenDeadLetters() throws Exception {
        String g = group();
        try (Courier c = Courier.connect("mem://unit")) {
            AtomicInteger runs = new AtomicInteger();
            c.subscribe(SubscriptionOptions.group(g).retry(RetryPolicy.immediate(3)).build(), d -> { runs.incrementAndGet(); throw new IllegalStateException("boom"); });
            CountDownLatch dead = new CountDownLatch(1);
            List<Delivery> dl = new ArrayList<>();
            c.subscribe(SubscriptionOptions.group(g + ".dlq").build(), d -> { dl.add(d); dead.countDown(); });
            c.send(Message.to(Destination.any(g)).id("x").header("h", "v").payload("data").build()).join();
            assertTrue(dead.await(10, TimeUnit.SECONDS));
            assertEquals(3, runs.get());
            Message m = dl.get(0).message();
            assertEquals("3", m.headers().get(Message.ATTEMPTS));
            assertEquals("v", m.headers().get("h"));
            assertTrue(m.headers().get(Message.DEAD_LETTER_REASON).contains("boom"));
        }
    }

    @Test
    void badUrlsGetClearErrors() {
        UnknownSchemeException e = assertThrows(UnknownSchemeException.class, () -> Courier.connect("nosuch://x"));
        assertTrue(e.getMessage().contains("mem://"), e.getMessage());
        assertThrows(InvalidUrlException.class, () -> Courier.connect("mem://?bogus=1"));
        InvalidUrlException p = assertThrows(InvalidUrlException.class, () -> Courier.connect("kafka://:99999"));
        assertTrue(p.getMessage().contains("99999"), p.getMessage());
        assertThrows(InvalidUrlException.class, () -> Courier.connect("http://[bad"));
        InvalidUrlException pw = assertThrows(InvalidUrlException.class, () -> Courier.connect("amqp://guest:secret@host:0"));
        assertTrue(!pw.getMessage().contains("secret"), pw.getMessage());
    }

    @Test
    void longHandlerKeepsItsLease() throws Exception {
        String g = group();
        try (Courier c = Courier.connect("mem://unit")) {
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(1);
            SubscriptionOptions o = SubscriptionOptions.group(g).ackDeadline(Duration.ofMillis(300)).build();
            Handler slow = d -> { runs.incrementAndGet(); Thread.sleep(1500); done.countDown(); };
            c.subscribe(o, slow);
            c.subscribe(o, slow);
            c.send(Message.to(Destination.any(g)).build()).join();
            assertTrue(done.await(5, TimeUnit.SECONDS));
            Thread.sleep(300);
            assertEquals(1, runs.get());
        }
    }
}
