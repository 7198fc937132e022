package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Health;
import io.courier.Message;
import io.courier.SubscriptionHealth;
import io.courier.SubscriptionHealth.State;
import io.courier.SubscriptionOptions;
import io.courier.TransportUnavailableException;
import io.courier.spi.Capabilities;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import io.courier.spi.TransportUrl;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link Courier#health()}: each subscription running / recovering / failing as its receives show, its last error
 * without credentials, the time since its last successful receive; the transport reachable as it tells or as the
 * receives show.
 */
class HealthTest {

    @Test
    void receiveOutcomesMakeTheStateRunningRecoveringFailingAndRunningAgain() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        ReceiveHealth h = new ReceiveHealth(now::get);
        SubscriptionHealth fresh = h.snapshot("g", null);
        assertEquals(State.RUNNING, fresh.state());
        assertNull(fresh.sinceLastReceive(), "no receive yet");
        h.succeeded();
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertEquals(Duration.ofSeconds(2), h.snapshot("g", null).sinceLastReceive());
        h.failed(new TransportUnavailableException("broker down at amqp://guest:s3cret@127.0.0.1:5672"));
        SubscriptionHealth recovering = h.snapshot("g", "m");
        assertEquals(State.RECOVERING, recovering.state());
        assertEquals("m", recovering.member());
        assertEquals("TransportUnavailableException: broker down at amqp://***@127.0.0.1:5672", recovering.lastError());
        assertFalse(recovering.lastError().contains("s3cret"));
        now.addAndGet(SubscriptionHealth.FAILING_AFTER.toNanos() - 1);
        h.failed(new TransportUnavailableException("still down"));
        assertEquals(State.RECOVERING, h.snapshot("g", null).state(), "failing since the first failure, not the last");
        now.addAndGet(1);
        assertEquals(State.FAILING, h.snapshot("g", null).state());
        assertEquals("TransportUnavailableException: still down", h.snapshot("g", null).lastError());
        h.succeeded();
        SubscriptionHealth back = h.snapshot("g", null);
        assertEquals(State.RUNNING, back.state());
        assertEquals(Duration.ZERO, back.sinceLastReceive());
        assertEquals("TransportUnavailableException: still down", back.lastError(), "the last error stays for the operator");
    }

    @Test
    void aSubscriptionWhoseReceivesFailIsRecoveringWithItsLastErrorAndRunsAgainOnceTheyPass() throws Exception {
        FlakyTransport t = new FlakyTransport();
        try (Courier c = Courier.wrap(t, TransportUrl.parse("mem://health"))) {
            c.subscribe(SubscriptionOptions.group("h").member("w1").pollWait(Duration.ofMillis(20)).build(), d -> { });
            assertTrue(Await.until(() -> c.health().subscriptions().get(0).sinceLastReceive() != null, Duration.ofSeconds(5)));
            Health up = c.health();
            assertEquals(Health.Reachability.REACHABLE, up.reachable(), "judged from the receives: the transport cannot tell");
            assertEquals(Health.Status.UP, up.status());

            t.down = true;
            assertTrue(Await.until(() -> c.health().subscriptions().get(0).state() == State.RECOVERING, Duration.ofSeconds(5)));
            Health down = c.health();
            SubscriptionHealth s = down.subscriptions().get(0);
            assertEquals("h", s.group());
            assertEquals("w1", s.member());
            assertEquals("TransportUnavailableException: hub unreachable (scripted)", s.lastError());
            assertEquals(Health.Reachability.UNREACHABLE, down.reachable());
            assertEquals(Health.Status.DOWN, down.status());
            assertTrue(down.toJson().contains("\"state\":\"recovering\",\"lastError\":\"TransportUnavailableException: hub unreachable (scripted)\""),
                    down.toJson());

            t.down = false;
            assertTrue(Await.until(() -> c.health().subscriptions().get(0).state() == State.RUNNING, Duration.ofSeconds(5)));
            assertTrue(c.health().subscriptions().get(0).sinceLastReceive().compareTo(Duration.ofSeconds(1)) < 0);
            assertEquals(Health.Status.UP, c.health().status());
        }
    }

    @Test
    void onMemEverySubscriptionRunsAndTheTransportIsReachableUntilClosed() throws Exception {
        Courier c = Courier.connect("mem://health-" + System.nanoTime());
        try (c) {
            var sub = c.subscribe(SubscriptionOptions.group("hm").pollWait(Duration.ofMillis(20)).build(), d -> { });
            c.subscribe(SubscriptionOptions.group("hm2").member("x").pollWait(Duration.ofMillis(20)).build(), d -> { });
            c.send(Message.to("any@hm").payload("p").build()).join();
            assertTrue(Await.until(() -> c.health().subscriptions().stream().allMatch(s -> s.sinceLastReceive() != null), Duration.ofSeconds(5)));
            Health h = c.health();
            assertEquals("mem", h.transport());
            assertEquals(Health.Reachability.REACHABLE, h.reachable());
            assertEquals(2, h.subscriptions().size());
            assertTrue(h.subscriptions().stream().allMatch(s -> s.state() == State.RUNNING && s.lastError() == null), h.toString());
            assertTrue(h.toJson().startsWith("{\"status\":\"up\",\"transport\":\"mem\",\"reachable\":\"reachable\",\"subscriptions\":[{"), h.toJson());
            sub.close();
            assertEquals(1, c.health().subscriptions().size(), "a closed subscription is not reported");
        }
        assertEquals(Health.Reachability.UNREACHABLE, c.health().reachable());
        assertNotNull(c.health().toJson());
    }

    /** A transport whose receives fail while {@link #down}; it cannot tell reachability itself. */
    private static final class FlakyTransport implements Transport {
        volatile boolean down;

        @Override public Capabilities capabilities() { return new io.courier.mem.MemTransport(new io.courier.mem.MemEngine(), 1 << 20).capabilities(); }
        @Override public CompletableFuture<Void> send(List<Message> batch) { return CompletableFuture.completedFuture(null); }
        @Override public void close() { }

        @Override
        public Receiver openReceiver(ReceiverSpec spec) {
            return new ScriptedReceiver() {
                @Override public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
                    if (down) throw new TransportUnavailableException("hub unreachable (scripted)");
                    return super.receive(max, wait);
                }
            };
        }
    }
}
