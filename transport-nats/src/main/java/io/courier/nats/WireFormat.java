package io.courier.nats;

import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.support.WireHeaders;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Courier message as a JetStream message: payload = data, headers = NATS headers (values encoded by
 * {@link HeaderValues} when not plain ASCII), id = {@code Nats-Msg-Id} (the stream drops a resend with the same id
 * inside its duplicate window). Courier's own fields travel in headers that are removed again on receipt:
 * {@code courier-id} (only on a relayed delayed message, whose {@code Nats-Msg-Id} must differ from the original's),
 * {@code courier-key} (ordering key), {@code courier-not-before} (epoch ms) and {@code courier-destination} (a
 * sticky or delayed message's destination, which its subject does not tell).
 */
final class WireFormat {
    private static final Logger log = LoggerFactory.getLogger(WireFormat.class);
    static final String MSG_ID = "Nats-Msg-Id";
    private static final List<String> INTERNAL = List.of(WireHeaders.ID, WireHeaders.KEY, WireHeaders.NOT_BEFORE, WireHeaders.DESTINATION);

    private WireFormat() {}

    /** The NATS message for {@code m} on {@code subject}; {@code natsId} is its {@code Nats-Msg-Id}. */
    static NatsMessage toNats(Message m, String subject, String natsId, boolean keepDestination) {
        Headers h = new Headers();
        for (Map.Entry<String, String> e : m.headers().entrySet()) {
            if (!INTERNAL.contains(e.getKey())) h.put(e.getKey(), HeaderValues.encode(e.getValue()));
        }
        h.put(MSG_ID, natsId);
        if (!natsId.equals(m.id())) h.put(WireHeaders.ID, HeaderValues.encode(m.id()));
        if (m.orderingKey() != null) h.put(WireHeaders.KEY, HeaderValues.encode(m.orderingKey()));
        if (m.notBefore() != null) h.put(WireHeaders.NOT_BEFORE, Long.toString(m.notBefore().toEpochMilli()));
        if (keepDestination) h.put(WireHeaders.DESTINATION, m.destination().toString());
        return NatsMessage.builder().subject(subject).headers(h).data(m.payload()).build();
    }

    /** Bytes the server counts against {@code max_payload}: data plus the serialized header block. */
    static long wireSize(NatsMessage nm) {
        Headers h = nm.getHeaders();
        return nm.getData().length + (h == null || h.isEmpty() ? 0 : h.serializedLength());
    }

    /**
     * The Courier message of a received JetStream message. A message from a plain client (no Courier header) gets
     * the id {@code Nats-Msg-Id}, or {@code <stream>:<sequence>} without one; header names Courier cannot carry are
     * skipped (logged at DEBUG).
     */
    static Message fromNats(io.nats.client.Message nm, Destination arrivedAt, String fallbackId) {
        Headers h = nm.getHeaders();
        Message.Builder b = Message.to(arrivedAt).payload(nm.getData() == null ? new byte[0] : nm.getData());
        String id = null;
        String natsId = null;
        if (h != null) {
            for (String name : h.keySet()) {
                List<String> values = h.get(name);
                String value = HeaderValues.decode(values == null || values.isEmpty() ? "" : String.join(",", values));
                switch (name) {
                    case MSG_ID -> natsId = value;
                    case WireHeaders.ID -> id = value;
                    case WireHeaders.KEY -> b.orderingKey(value);
                    case WireHeaders.NOT_BEFORE -> b.notBefore(parseMillis(value));
                    case WireHeaders.DESTINATION -> b.destination(parseDestination(value, arrivedAt));
                    default -> addHeader(b, name, value, nm.getSubject());
                }
            }
        }
        if (id == null) id = natsId;
        if (id == null || id.isEmpty() || id.length() > 128) id = fallbackId;
        return b.id(id).build();
    }

    private static void addHeader(Message.Builder b, String name, String value, String subject) {
        try {
            b.header(name, value);
        } catch (RuntimeException e) {
            log.debug("skipping header '{}' of a message on {}: not a valid Courier header name", name, subject);
        }
    }

    private static Instant parseMillis(String v) {
        try { return Instant.ofEpochMilli(Long.parseLong(v.trim())); } catch (NumberFormatException e) { return null; }
    }

    private static Destination parseDestination(String v, Destination fallback) {
        try { return Destination.parse(v); } catch (IllegalArgumentException e) { return fallback; }
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
