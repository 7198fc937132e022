package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.courier.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaseUpkeepTest {
    private static RuntimeDelivery delivery(String id) {
        return new RuntimeDelivery(new ScriptedReceiver.Delivered(Message.to("any@g").id(id).payload("x").build(), 1), null);
    }

    @Test
    void c16_extendsEveryUnsettledLeaseAndFailsAHandlerPastMaxHandlingTime() {
        RuntimeDelivery waiting = delivery("waiting"), young = delivery("young"), old = delivery("old"), done = delivery("done");
        young.startedNanos = 1_000;
        young.thread = Thread.currentThread();
        old.startedNanos = 1;
        old.thread = Thread.currentThread();
        done.claim();
        LeaseUpkeep.Tick tick = LeaseUpkeep.tick(List.of(waiting, young, old, done), 1_001, 1_000 - 1);
        assertEquals(List.of(old), tick.overdue());
        assertEquals(List.of(waiting.received, young.received), tick.extend());
    }

    @Test
    void aHandlerThatAlreadyReturnedIsNotOverdue() {
        RuntimeDelivery finishing = delivery("finishing");
        finishing.startedNanos = 1;
        LeaseUpkeep.Tick tick = LeaseUpkeep.tick(List.of(finishing), 1_000_000, 10);
        assertEquals(List.of(), tick.overdue());
        assertEquals(List.of(finishing.received), tick.extend());
    }
}
