package io.courier.sqs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.support.WireHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * Courier message ↔ SQS message. SQS bodies are text, so the payload travels base64-encoded, marked by the attribute
 * {@code courier-encoding=base64}; a message without it (from a plain client) is read as the UTF-8 bytes of its body.
 * SQS allows 10 attributes per message, so Courier's headers travel together as JSON in {@code courier-headers};
 * {@code courier-id}, {@code courier-destination}, {@code courier-key} and {@code courier-not-before} carry the
 * rest. String attributes of plain clients' messages arrive as headers.
 */
final class WireFormat {
    /** The longest DelaySeconds SQS takes; longer delays are re-delayed on receipt. */
    static final Duration MAX_DELAY = Duration.ofMinutes(15);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> MAP = new TypeReference<>() {};

    private WireFormat() {}

    /**
     * The batch entry of {@code m}. To a FIFO queue ({@code fifo}: the message has an ordering key) it carries the key as
     * {@code MessageGroupId} and its id (or the id's SHA-256 when the id does not fit) as {@code MessageDeduplicationId}.
     */
    static SendMessageBatchRequestEntry toEntry(Message m, String entryId, Instant now, boolean fifo) {
        Map<String, MessageAttributeValue> attrs = new HashMap<>();
        attrs.put(WireHeaders.ENCODING, text(m.payload().length == 0 ? "empty" : "base64")); // SQS refuses an empty body
        attrs.put(WireHeaders.ID, text(m.id()));
        attrs.put(WireHeaders.DESTINATION, text(m.destination().toString()));
        if (!m.headers().isEmpty()) attrs.put(WireHeaders.HEADERS, text(json(m.headers())));
        if (m.orderingKey() != null) attrs.put(WireHeaders.KEY, text(m.orderingKey()));
        int delaySeconds = 0;
        if (m.notBefore() != null && m.notBefore().isAfter(now)) {
            Duration delay = Duration.between(now, m.notBefore());
            delaySeconds = (int) Math.min(MAX_DELAY.toSeconds(), ceilSeconds(delay));
            if (delay.compareTo(MAX_DELAY) > 0) attrs.put(WireHeaders.NOT_BEFORE, text(Long.toString(m.notBefore().toEpochMilli())));
        }
        SendMessageBatchRequestEntry.Builder b = SendMessageBatchRequestEntry.builder().id(entryId)
                .messageBody(m.payload().length == 0 ? "-" : Base64.getEncoder().encodeToString(m.payload())).messageAttributes(attrs);
        if (fifo) b.messageGroupId(m.orderingKey()).messageDeduplicationId(deduplicationId(m.id()));
        else b.delaySeconds(delaySeconds);
        return b.build();
    }

    private static String deduplicationId(String id) {
        if (id.length() <= 128 && id.matches("[\\p{Alnum}\\p{Punct}]+")) return id;
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What SQS counts against its 256 KiB limit: the body and every attribute's name and value. */
    static long size(SendMessageBatchRequestEntry e) {
        long size = e.messageBody().length();
        for (Map.Entry<String, MessageAttributeValue> a : e.messageAttributes().entrySet()) {
            size += a.getKey().length() + a.getValue().dataType().length() + a.getValue().stringValue().getBytes(StandardCharsets.UTF_8).length;
        }
        return size;
    }

    /** The Courier message of an SQS message received from the queue of {@code group}. */
    static Message fromSqs(software.amazon.awssdk.services.sqs.model.Message m, String group) {
        Map<String, MessageAttributeValue> attrs = m.messageAttributes();
        String encoding = value(attrs, WireHeaders.ENCODING);
        byte[] payload = "empty".equals(encoding) ? new byte[0]
                : "base64".equals(encoding) ? Base64.getDecoder().decode(m.body()) : m.body().getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = new HashMap<>();
        String packed = value(attrs, WireHeaders.HEADERS);
        if (packed != null) headers.putAll(parse(packed));
        attrs.forEach((name, v) -> {
            if (!name.startsWith(WireHeaders.PREFIX) && v.stringValue() != null) headers.put(name, v.stringValue());
        });
        String id = value(attrs, WireHeaders.ID);
        String destination = value(attrs, WireHeaders.DESTINATION);
        Message.Builder b = Message.to(destination != null ? Destination.parse(destination) : Destination.any(group))
                .id(id != null ? id : "sqs-" + m.messageId()).headers(headers).payload(payload);
        String key = value(attrs, WireHeaders.KEY);
        if (key != null) b.orderingKey(key);
        return b.build();
    }

    /** The not-before time of a message delayed beyond SQS's 15 minutes, or null. */
    static Instant notBefore(software.amazon.awssdk.services.sqs.model.Message m) {
        String v = value(m.messageAttributes(), WireHeaders.NOT_BEFORE);
        return v == null ? null : Instant.ofEpochMilli(Long.parseLong(v));
    }

    /** SQS's own delivery count: 1 on the first receive, +1 on every receive after a visibility timeout or change. */
    static int receiveCount(software.amazon.awssdk.services.sqs.model.Message m) {
        String v = m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT);
        return v == null ? 1 : Math.max(1, Integer.parseInt(v));
    }

    static long ceilSeconds(Duration d) {
        return d.isNegative() || d.isZero() ? 0 : (d.toMillis() + 999) / 1000;
    }

    private static MessageAttributeValue text(String v) {
        return MessageAttributeValue.builder().dataType("String").stringValue(v).build();
    }

    private static String value(Map<String, MessageAttributeValue> attrs, String name) {
        MessageAttributeValue v = attrs.get(name);
        return v == null ? null : v.stringValue();
    }

    private static String json(Map<String, String> headers) {
        try {
            return JSON.writeValueAsString(headers);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> parse(String json) {
        try {
            return JSON.readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("courier-headers is not a JSON object of strings: " + e.getOriginalMessage());
        }
    }
}
