package io.courier.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import io.courier.runtime.SettlementPolicy.DeadLetter;
import io.courier.runtime.SettlementPolicy.Retry;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SettlementPolicyTest {
    private static final RetryPolicy THREE = RetryPolicy.linear(3, Duration.ofMillis(100), Duration.ofSeconds(1));

    @Test
    void c15_aDeliveryPastMaxAttemptsIsDeadLetteredUnhandled() {
        assertNull(SettlementPolicy.onArrival(3, THREE));
        DeadLetter d = SettlementPolicy.onArrival(4, THREE);
        assertTrue(d.reason().startsWith("delivered 4 times, more than maxAttempts=3"), d.reason());
    }

    @Test
    void aNormalReturnAcks() {
        assertInstanceOf(SettlementPolicy.Ack.class, SettlementPolicy.afterHandler(1, null, THREE, new SplittableRandom(1)));
    }

    @Test
    void c15_aFailureRetriesWithThePolicysDelayUntilTheLastAttempt() {
        Retry r = (Retry) SettlementPolicy.afterHandler(2, new IllegalStateException("boom"), THREE, new SplittableRandom(1));
        assertEquals(Duration.ofMillis(200), r.delay());
        assertEquals("java.lang.IllegalStateException: boom", r.reason());
        DeadLetter d = (DeadLetter) SettlementPolicy.afterHandler(3, new IllegalStateException("boom"), THREE, new SplittableRandom(1));
        assertEquals("failed 3 of maxAttempts=3: java.lang.IllegalStateException: boom", d.reason());
    }

    @Test
    void c15_aNonRetryableFailureIsDeadLetteredAtOnce() {
        DeadLetter d = (DeadLetter) SettlementPolicy.afterHandler(1, new NonRetryableException("bad input"), THREE, new SplittableRandom(1));
        assertTrue(d.reason().startsWith("not retryable: io.courier.NonRetryableException: bad input"), d.reason());
    }

    @Test
    void c7_aDeadLetterKeepsEverythingAReplayNeeds() {
        Message m = Message.to("any@orders").id("m-1").header("h", "v").payload("data")
                .orderingKey("k1").notBefore(Instant.ofEpochMilli(1_700_000_000_000L)).build();
        Message dead = SettlementPolicy.deadLetterOf(m, "orders.dlq", "why", 3);
        assertEquals("any@orders.dlq", dead.destination().toString());
        assertEquals("m-1", dead.id());
        assertEquals("data", dead.payloadUtf8());
        assertEquals("v", dead.headers().get("h"));
        assertEquals("why", dead.headers().get(Message.DEAD_LETTER_REASON));
        assertEquals("3", dead.headers().get(Message.ATTEMPTS));
        assertEquals("any@orders", dead.headers().get(Message.ORIGINAL_DESTINATION));
        assertEquals("k1", dead.headers().get(Message.ORIGINAL_ORDERING_KEY));
        assertEquals("1700000000000", dead.headers().get(Message.ORIGINAL_NOT_BEFORE));
        assertNull(dead.orderingKey());
        assertNull(dead.notBefore());
        Message plain = SettlementPolicy.deadLetterOf(Message.to("any@orders").id("m-2").payload("x").build(), "orders.dlq", "why", 1);
        assertFalse(plain.headers().containsKey(Message.ORIGINAL_ORDERING_KEY));
        assertFalse(plain.headers().containsKey(Message.ORIGINAL_NOT_BEFORE));
    }
}
