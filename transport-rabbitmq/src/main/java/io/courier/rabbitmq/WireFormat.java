package io.courier.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.LongString;
import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.support.WireHeaders;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A Courier message as a native AMQP message: payload = body, headers = the AMQP headers table (strings),
 * message id = the {@code message-id} property, persistent ({@code delivery-mode 2}). Two Courier headers travel in
 * the table and are removed on receipt: {@link WireHeaders#KEY} ({@code courier-key}, the ordering key) and
 * {@link WireHeaders#ATTEMPT} (the attempts made before a republish to a delay queue); the ordering key is also read
 * from {@link WireHeaders#LEGACY_ORDERING_KEY} ({@code courier-ordering-key}), which earlier versions wrote, so
 * messages already in queues keep their key. Headers the broker adds ({@code x-delivery-count}, {@code x-death},
 * {@code x-first-death-*}, {@code x-last-death-*}) are not shown to handlers.
 */
final class WireFormat {
    static final String DELIVERY_COUNT = "x-delivery-count";

    private WireFormat() {}

    static AMQP.BasicProperties properties(Message m) {
        Map<String, Object> headers = new LinkedHashMap<>(m.headers());
        if (m.orderingKey() != null) headers.put(WireHeaders.KEY, m.orderingKey());
        return new AMQP.BasicProperties.Builder()
                .deliveryMode(2)
                .messageId(m.id())
                .timestamp(new Date())
                .headers(headers)
                .build();
    }

    /** The properties of a received message republished to a delay queue, carrying the attempts made so far. */
    /**
     * The copy's properties: the attempts made so far, and {@code id} as {@code message-id}, so that a plain client's
     * message (published without one) keeps the id its first delivery got (C8).
     */
    static AMQP.BasicProperties republished(AMQP.BasicProperties original, String id, int attemptsMade) {
        Map<String, Object> headers = original.getHeaders() == null ? new HashMap<>() : new HashMap<>(original.getHeaders());
        headers.remove(DELIVERY_COUNT);
        headers.put(WireHeaders.ATTEMPT, attemptsMade);
        return original.builder().messageId(id).headers(headers).deliveryMode(2).expiration(null).build();
    }

    /**
     * The attempt number of a delivery: attempts made before the last republish, plus the queue's delivery count,
     * plus one. Quorum queues count every return (nack with requeue, lost consumer) in {@code x-delivery-count}.
     */
    static int attempt(AMQP.BasicProperties props, Envelope envelope) {
        Map<String, Object> h = props.getHeaders();
        int before = h == null ? 0 : intOf(h.get(WireHeaders.ATTEMPT));
        int count = h == null ? 0 : intOf(h.get(DELIVERY_COUNT));
        if (count == 0 && envelope.isRedeliver()) count = 1;
        return before + count + 1;
    }

    private static int intOf(Object v) {
        if (v instanceof Number n) return n.intValue();
        if (v instanceof LongString || v instanceof String) {
            try { return Integer.parseInt(v.toString()); } catch (NumberFormatException e) { return 0; }
        }
        return 0;
    }

    static Message message(Destination destination, AMQP.BasicProperties props, byte[] body) {
        Message.Builder b = Message.to(destination).payload(body);
        b.id(hasOwnId(props) ? props.getMessageId() : "amqp-" + UUID.randomUUID());
        Map<String, Object> h = props.getHeaders();
        if (h != null) {
            for (Map.Entry<String, Object> e : h.entrySet()) {
                String name = e.getKey();
                Object v = e.getValue();
                if (name.equals(WireHeaders.KEY) || name.equals(WireHeaders.LEGACY_ORDERING_KEY)) {
                    if (v != null && (name.equals(WireHeaders.KEY) || !h.containsKey(WireHeaders.KEY))) b.orderingKey(v.toString());
                    continue;
                }
                if (brokerOrInternal(name) || !validName(name)) continue;
                String text = textOf(v);
                if (text != null) b.header(name, text);
            }
        }
        return b.build();
    }

    /** Whether the message carries a {@code message-id} Courier takes as its id (plain clients often send none). */
    static boolean hasOwnId(AMQP.BasicProperties props) {
        String id = props.getMessageId();
        return id != null && !id.isEmpty() && id.length() <= 128;
    }

    private static boolean brokerOrInternal(String name) {
        return name.equals(WireHeaders.ATTEMPT) || name.equals(DELIVERY_COUNT) || name.equals("x-death")
                || name.startsWith("x-first-death-") || name.startsWith("x-last-death-");
    }

    private static boolean validName(String name) {
        try {
            Message.checkHeaderName(name);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Strings as they are; numbers and booleans (plain clients send them) as text; tables and arrays are skipped. */
    private static String textOf(Object v) {
        if (v instanceof LongString || v instanceof String) return v.toString();
        if (v instanceof byte[] bytes) return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        if (v instanceof Number || v instanceof Boolean) return v.toString();
        return null;
    }
}
