package io.courier.kafka;

import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.support.WireHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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

    private WireFormat() {}

    /**
     * The record for a first send; {@code destination} is the UTF-8 of {@code m.destination().toString()}, computed
     * once per destination by the caller.
     */
    static ProducerRecord<byte[], byte[]> toRecord(String topic, Integer partition, Message m, byte[] destination) {
        Headers h = new RecordHeaders();
        for (var e : m.headers().entrySet()) h.add(e.getKey(), utf8(e.getValue()));
        h.add(WireHeaders.ID, utf8(m.id()));
        h.add(WireHeaders.DESTINATION, destination);
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

    /** What a record carries: its message, its {@code courier-attempt} (1 when absent) and when it is due (epoch ms, 0: now). */
    record Incoming(Message message, int attempt, long dueAt) {}

    /**
     * Reads records of one queue on its poll thread, in one pass over each record's headers. Not thread-safe: it
     * remembers the last destination header it parsed, since the records of a queue nearly all carry the same one.
     */
    static final class Reader {
        private final Destination fallback;
        private byte[] lastDestinationBytes;
        private Destination lastDestination;

        /** {@code fallback}: the destination of a record that names none (from a plain producer). */
        Reader(Destination fallback) { this.fallback = fallback; }

        Incoming read(ConsumerRecord<byte[], byte[]> r) {
            String id = null;
            byte[] dest = null;
            long attempt = -1, notBefore = 0, redeliverAt = 0;
            Message.Builder b = Message.to(fallback);
            for (Header h : r.headers()) {
                String k = h.key();
                byte[] v = h.value();
                switch (k) {
                    case WireHeaders.ID -> id = v == null ? null : new String(v, StandardCharsets.UTF_8);
                    case WireHeaders.DESTINATION -> dest = v;
                    case WireHeaders.ATTEMPT -> attempt = digits(v);
                    case WireHeaders.NOT_BEFORE -> notBefore = Math.max(0, digits(v));
                    case WireHeaders.REDELIVER_AT -> redeliverAt = Math.max(0, digits(v));
                    default -> {
                        try {
                            b.header(k, v == null ? "" : new String(v, StandardCharsets.UTF_8));
                        } catch (RuntimeException e) {
                            log.debug("dropping header with an invalid name from {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                        }
                    }
                }
            }
            b.destination(destination(dest))
                    .id(id != null && !id.isEmpty() && id.length() <= 128 ? id : r.topic() + "-" + r.partition() + "-" + r.offset())
                    .payload(r.value() == null ? new byte[0] : r.value());
            if (r.key() != null) b.orderingKey(new String(r.key(), StandardCharsets.UTF_8));
            if (notBefore > 0) b.notBefore(Instant.ofEpochMilli(notBefore));
            return new Incoming(b.build(), attempt < 1 || attempt > Integer.MAX_VALUE ? 1 : (int) attempt, Math.max(notBefore, redeliverAt));
        }

        private Destination destination(byte[] header) {
            if (header == null) return fallback;
            if (java.util.Arrays.equals(header, lastDestinationBytes)) return lastDestination;
            Destination d;
            try { d = Destination.parse(new String(header, StandardCharsets.UTF_8)); } catch (IllegalArgumentException e) { d = fallback; }
            lastDestinationBytes = header;
            lastDestination = d;
            return d;
        }
    }

    /** A header value of ASCII digits as a number; -1 when absent, empty, too long or not all digits. */
    static long digits(byte[] v) {
        if (v == null || v.length == 0 || v.length > 18) return -1;
        long n = 0;
        for (byte c : v) {
            if (c < '0' || c > '9') return -1;
            n = n * 10 + (c - '0');
        }
        return n;
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    /** Bytes Courier adds to a message on the wire at most (its headers, record and batch overhead). */
    static int overheadBound() {
        // id ≤ 128, destination ≤ 4+100+1+100, attempt, not-before, header names, varints, batch header (61 B)
        return 1024;
    }
}
