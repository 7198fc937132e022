package io.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.TransportUnavailableException;
import io.courier.spi.TransportUrl;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.junit.jupiter.api.Test;

/** How kafka-clients failures become Courier's typed errors (no broker needed). */
class ErrorsTest {
    static final KafkaSettings SETTINGS = new KafkaSettings(TransportUrl.parse("kafka://127.0.0.1:9301,127.0.0.1:9302"));

    /**
     * Seen in KafkaClusterFaultTest's rolling restart (run 5 of 2026-12-03): after a leader change the idempotent
     * producer's next batches were refused with OUT_OF_ORDER_SEQUENCE_NUMBER and 7 sends failed as a plain
     * CourierException, which callers cannot tell from a permanent failure. The batch was not written; sending again
     * is right, so it is a TransportUnavailableException (this test failed before the fix: CourierException).
     */
    @Test
    void aRefusedSequenceAfterALeaderChangeIsTransportUnavailable() {
        for (RuntimeException e : new RuntimeException[] {
                new OutOfOrderSequenceException("The broker received an out of order sequence number."),
                new InvalidProducerEpochException("Producer attempted to produce with an old epoch.")}) {
            var t = assertInstanceOf(TransportUnavailableException.class, Errors.send(e, SETTINGS, "m-1", "courier.g", 10, 1000), e.toString());
            assertTrue(t.getMessage().contains("m-1") && t.getMessage().contains("send it again"), t.getMessage());
        }
    }
}
