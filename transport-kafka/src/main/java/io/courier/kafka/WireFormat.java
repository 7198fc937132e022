package io.courier.kafka;

import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.support.WireHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Courier message ↔ Kafka record, in Kafka's native form: payload = record value, ordering key = record key (UTF-8),
 * headers = record headers (UTF-8 values). Courier's own transport headers ({@code courier-id},
 * {@code courier-destination}, {@code courier-attempt}, {@code courier-not-before}, {@code courier-redeliver-at}) are added on the wire and removed
 * again on receipt; a record without them (from a plain producer) is received as a message to the group, attempt 1,
 * with id {@code topic-partition-offset}.
 */
final class WireFormat {
    private static final Logger log = LoggerFactory.getLogger(WireFormat.class);
    private static final Set<String> TRANSPORT_HEADERS = Set.of(WireHeaders.ID, WireHeaders.DESTINATION,
            WireHeaders.ATTEMPT, WireHeaders.NOT_BEFORE, WireHeaders.REDELIVER_AT);

    private WireFormat() {}

    /** The record for a first send. */
    static ProducerRecord<byte[], byte[]> toRecord(String topic, Integer partition, Message m) {
        Headers h = new RecordHeaders();
        for (var e : m.headers().entrySet()) h.add(e.getKey(), utf8(e.getValue()));
        h.add(WireHeaders.ID, utf8(m.id()));
        h.add(WireHeaders.DESTINATION, utf8(m.destination().toString()));
        if (m.notBefore() != null) h.add(WireHeaders.NOT_BEFORE, utf8(Long.toString(m.notBefore().toEpochMilli())));
        byte[] key = m.orderingKey() == null ? null : utf8(m.orderingKey());
        return new ProducerRecord<>(topic, partition, key, m.payload(), h);
    }

    /**
     * The record that redelivers {@code original} later: same key, value and headers, with {@code courier-attempt}
     * set to {@code nextAttempt} and {@code courier-redeliver-at} to {@code redeliverAt} (epoch ms, 0: at once). Courier's
     * id and destination headers are kept, or added when the original came from a plain producer, so the redelivery
     * is recognisably the same message.
     */
    static ProducerRecord<byte[], byte[]> toRetryRecord(String topic, ConsumerRecord<byte[], byte[]> original, Message m,
                                                        int nextAttempt, long redeliverAt) {
        Headers h = new RecordHeaders();
        for (Header header : original.headers()) {
            if (!header.key().equals(WireHeaders.ATTEMPT) && !header.key().equals(WireHeaders.REDELIVER_AT)) h.add(header);
        }
        if (original.headers().lastHeader(WireHeaders.ID) == null) h.add(WireHeaders.ID, utf8(m.id()));
        if (original.headers().lastHeader(WireHeaders.DESTINATION) == null) h.add(WireHeaders.DESTINATION, utf8(m.destination().toString()));
        h.add(WireHeaders.ATTEMPT, utf8(Integer.toString(nextAttempt)));
        if (redeliverAt > 0) h.add(WireHeaders.REDELIVER_AT, utf8(Long.toString(redeliverAt)));
        return new ProducerRecord<>(topic, null, original.key(), original.value(), h);
    }

    /** The message a record carries; {@code group} is the destination's group when the record has none. */
    static Message toMessage(ConsumerRecord<byte[], byte[]> r, Destination fallback) {
        String id = header(r, WireHeaders.ID);
        String dest = header(r, WireHeaders.DESTINATION);
        Destination destination = fallback;
        if (dest != null) {
            try { destination = Destination.parse(dest); } catch (IllegalArgumentException e) { /* keep fallback */ }
        }
        Message.Builder b = Message.to(destination)
                .id(id != null && !id.isEmpty() && id.length() <= 128 ? id : r.topic() + "-" + r.partition() + "-" + r.offset())
                .payload(r.value() == null ? new byte[0] : r.value());
        if (r.key() != null) b.orderingKey(new String(r.key(), StandardCharsets.UTF_8));
        long nb = millis(r, WireHeaders.NOT_BEFORE);
        if (nb > 0) b.notBefore(Instant.ofEpochMilli(nb));
        for (Header h : r.headers()) {
            if (TRANSPORT_HEADERS.contains(h.key())) continue;
            try {
                b.header(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                log.debug("dropping header with an invalid name from {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            }
        }
        return b.build();
    }

    /** {@code courier-attempt} of a record, 1 when absent or unreadable. */
    static int attempt(ConsumerRecord<byte[], byte[]> r) {
        String a = header(r, WireHeaders.ATTEMPT);
        try { return a == null ? 1 : Math.max(1, Integer.parseInt(a)); } catch (NumberFormatException e) { return 1; }
    }

    /** When a record may be delivered, epoch ms: the later of its not-before and redeliver-at headers, 0: now. */
    static long dueAt(ConsumerRecord<byte[], byte[]> r) { return Math.max(millis(r, WireHeaders.NOT_BEFORE), millis(r, WireHeaders.REDELIVER_AT)); }

    private static long millis(ConsumerRecord<byte[], byte[]> r, String name) {
        String v = header(r, name);
        try { return v == null ? 0 : Long.parseLong(v); } catch (NumberFormatException e) { return 0; }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    /** Bytes Courier adds to a message on the wire at most (its headers, record and batch overhead). */
    static int overheadBound() {
        // id ≤ 128, destination ≤ 4+100+1+100, attempt, not-before, header names, varints, batch header (61 B)
        return 1024;
    }
}
