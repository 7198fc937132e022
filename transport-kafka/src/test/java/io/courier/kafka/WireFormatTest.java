package io.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.support.WireHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** The record ↔ message mapping in one pass over the headers (C8 fidelity, C15 attempts, C10 delay); no broker. */
class WireFormatTest {
    private static final Destination GROUP = Destination.any("wf");

    private static ConsumerRecord<byte[], byte[]> consumed(ProducerRecord<byte[], byte[]> p, long offset) {
        return new ConsumerRecord<>(p.topic(), 0, offset, 0L, TimestampType.CREATE_TIME, -1, -1, p.key(), p.value(), p.headers(), Optional.empty());
    }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void c8_aSentMessageReadsBackWithItsIdDestinationKeyHeadersAndNotBefore() {
        Instant nb = Instant.ofEpochMilli(1_700_000_000_123L);
        Message m = Message.to(Destination.uni("wf", "m1")).id("id-1").payload(new byte[] {0, 1, 2})
                .header("a", "é").header("b", "").orderingKey("k").notBefore(nb).build();
        var p = WireFormat.toRecord("t", 0, m, utf8(m.destination().toString()));
        WireFormat.Incoming in = new WireFormat.Reader(GROUP).read(consumed(p, 5));
        assertEquals("id-1", in.message().id());
        assertEquals(Destination.uni("wf", "m1"), in.message().destination());
        assertEquals(Map.of("a", "é", "b", ""), in.message().headers());
        assertEquals("k", in.message().orderingKey());
        assertEquals(nb, in.message().notBefore());
        assertArrayEquals(new byte[] {0, 1, 2}, in.message().payload());
        assertEquals(1, in.attempt());
        assertEquals(nb.toEpochMilli(), in.dueAt());
    }

    @Test
    void c15_aRetryRecordCarriesTheNextAttemptAndItsRedeliveryTime() {
        Message m = Message.to(GROUP).id("id-2").payload(new byte[0]).build();
        var first = consumed(WireFormat.toRecord("t", 0, m, utf8(m.destination().toString())), 1);
        var retry = consumed(WireFormat.toRetryRecord("t.retry", first, m, 3, 42L), 2);
        WireFormat.Incoming in = new WireFormat.Reader(GROUP).read(retry);
        assertEquals(3, in.attempt());
        assertEquals(42L, in.dueAt());
        assertEquals("id-2", in.message().id());
        assertNull(in.message().notBefore());
        assertEquals(Map.of(), in.message().headers(), "transport headers are not user headers");
    }

    @Test
    void c8_aPlainRecordIsAMessageToTheGroupWithAnIdFromItsPosition() {
        RecordHeaders h = new RecordHeaders();
        h.add("x", utf8("1"));
        var r = new ConsumerRecord<>("topic", 3, 7L, 0L, TimestampType.CREATE_TIME, -1, -1, (byte[]) null, (byte[]) null, h, Optional.empty());
        WireFormat.Incoming in = new WireFormat.Reader(GROUP).read(r);
        assertEquals("topic-3-7", in.message().id());
        assertEquals(GROUP, in.message().destination());
        assertEquals(Map.of("x", "1"), in.message().headers());
        assertEquals(0, in.message().payload().length);
        assertEquals(1, in.attempt());
        assertEquals(0L, in.dueAt());
    }

    @Test
    void damagedTransportHeadersFallBackToTheDefaults() {
        RecordHeaders h = new RecordHeaders();
        h.add(WireHeaders.ATTEMPT, utf8("x2"));
        h.add(WireHeaders.NOT_BEFORE, utf8("-5"));
        h.add(WireHeaders.REDELIVER_AT, utf8("99999999999999999999"));
        h.add(WireHeaders.DESTINATION, utf8("not a destination"));
        var r = new ConsumerRecord<>("topic", 0, 1L, 0L, TimestampType.CREATE_TIME, -1, -1, (byte[]) null, utf8("v"), h, Optional.empty());
        WireFormat.Incoming in = new WireFormat.Reader(GROUP).read(r);
        assertEquals(1, in.attempt());
        assertEquals(0L, in.dueAt());
        assertEquals(GROUP, in.message().destination());
    }

    @Test
    void theLastOfRepeatedHeadersWinsAndARepeatedDestinationIsParsedOnce() {
        WireFormat.Reader reader = new WireFormat.Reader(GROUP);
        Destination last = null;
        for (int i = 0; i < 3; i++) {
            RecordHeaders h = new RecordHeaders();
            h.add(WireHeaders.ATTEMPT, utf8("2"));
            h.add(WireHeaders.ATTEMPT, utf8("4"));
            h.add(WireHeaders.DESTINATION, utf8("uni@wf/m2"));
            var r = new ConsumerRecord<>("topic", 0, i, 0L, TimestampType.CREATE_TIME, -1, -1, (byte[]) null, utf8("v"), h, Optional.empty());
            WireFormat.Incoming in = reader.read(r);
            assertEquals(4, in.attempt());
            assertEquals(Destination.uni("wf", "m2"), in.message().destination());
            if (last != null) assertSame(last, in.message().destination());
            last = in.message().destination();
        }
    }
}
