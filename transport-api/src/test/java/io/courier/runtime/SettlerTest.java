package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import io.courier.SubscriptionOptions;
import io.courier.TransportUnavailableException;
import io.courier.spi.Received;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class SettlerTest {
    private final ScriptedHost host = new ScriptedHost();
    private final Settler settler = new Settler(host, SubscriptionOptions.group("g").build(), host.receiver, () -> {}, "test");

    private RuntimeDelivery delivery(String id) {
        return settler.track(new ScriptedReceiver.Delivered(Message.to("any@g").id(id).payload("x").build(), 1));
    }

    @Test
    void c5_theFirstSettlementWinsAndLaterOnesReturnFalse() {
        RuntimeDelivery d = delivery("a");
        assertTrue(d.nack(Duration.ZERO));
        assertFalse(d.ack());
        assertFalse(d.deadLetter("late"));
        assertEquals(1, host.receiver.nacked.size());
        assertEquals(0, settler.unsettledCount());
    }

    @Test
    void c7_aDeadLetterIsSentThenTheOriginalAcked() {
        RuntimeDelivery d = delivery("a");
        assertTrue(d.deadLetter("poison"));
        assertEquals(1, host.sent.size());
        assertEquals("any@g.dlq", host.sent.get(0).destination().toString());
        assertEquals(List.of(d.received), host.receiver.acked);
    }

    @Test
    void c7_aDeadLetterWhoseSendFailsIsNackedNotLost() {
        ScriptedHost failing = new ScriptedHost() {
            @Override public CompletableFuture<Void> send(Message message) {
                return CompletableFuture.failedFuture(new TransportUnavailableException("down (scripted)"));
            }
        };
        Settler s = new Settler(failing, SubscriptionOptions.group("g").build(), failing.receiver, () -> {}, "test");
        RuntimeDelivery d = s.track(new ScriptedReceiver.Delivered(Message.to("any@g").id("a").payload("x").build(), 1));
        assertTrue(d.deadLetter("poison"));
        assertEquals(List.of(), failing.receiver.acked);
        assertEquals(List.of(d.received), failing.receiver.nacked);
    }

    @Test
    void acksFromAnotherThreadAreHandedOverAtOnceAndCountUntilThen() {
        RuntimeDelivery d = delivery("a");
        assertTrue(d.ack()); // not the handler's thread: flushed at once
        assertEquals(List.of(1), host.receiver.ackCalls);
        assertEquals(0, settler.unsettledCount());
    }

    @Test
    void c13_closeClaimsWhatIsLeftAndReleasesUnstartedWithoutAnAttempt() {
        RuntimeDelivery started = delivery("started"), unseen = delivery("unseen"), acked = delivery("acked");
        started.startedNanos = 1;
        acked.ack();
        List<RuntimeDelivery> claimed = settler.claimUnsettled();
        assertEquals(2, claimed.size());
        assertFalse(started.ack(), "claimed at close: a late ack changes nothing");
        settler.release(claimed);
        assertEquals(List.<Received>of(started.received), host.receiver.nacked);
        assertEquals(List.<Received>of(unseen.received), host.receiver.released);
    }
}
