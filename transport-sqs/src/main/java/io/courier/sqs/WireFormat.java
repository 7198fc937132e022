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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * Courier message ↔ SQS message, as native as SQS allows, so that a reader in another language (or a standard
 * propagator reading a {@code traceparent} attribute) needs no Courier code:
 * <ul>
 *   <li><b>Body</b>: a payload that is valid UTF-8 made only of the characters SQS accepts travels as the text
 *       itself; any other payload travels base64-encoded, marked {@code courier-encoding=base64}; an empty one as
 *       {@code "-"} marked {@code courier-encoding=empty} (SQS refuses an empty body). A message without
 *       {@code courier-encoding} is read as the UTF-8 bytes of its body.</li>
 *   <li><b>Headers</b>: each user header is a native {@code String} message attribute of its own while SQS's 10
 *       attributes per message allow it ({@code traceparent}, {@code tracestate} and {@code baggage} first, then the
 *       others in the message's order); a header that cannot be an attribute (an empty value, a name SQS refuses, a
 *       {@code courier-} name) and those beyond the tenth attribute travel together as one JSON object of strings in
 *       {@code courier-headers}.</li>
 *   <li>{@code courier-id}, {@code courier-destination}, {@code courier-key} and {@code courier-not-before} carry the
 *       rest. String attributes of plain clients' messages arrive as headers.</li>
 * </ul>
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
        String body = bodyOf(m.payload());
        if (m.payload().length == 0) attrs.put(WireHeaders.ENCODING, text("empty"));
        else if (body == null) attrs.put(WireHeaders.ENCODING, text("base64"));
        attrs.put(WireHeaders.ID, text(m.id()));
        attrs.put(WireHeaders.DESTINATION, text(m.destination().toString()));
        if (m.orderingKey() != null) attrs.put(WireHeaders.KEY, text(m.orderingKey()));
        int delaySeconds = 0;
        if (m.notBefore() != null && m.notBefore().isAfter(now)) {
            Duration delay = Duration.between(now, m.notBefore());
            delaySeconds = (int) Math.min(MAX_DELAY.toSeconds(), ceilSeconds(delay));
            if (delay.compareTo(MAX_DELAY) > 0) attrs.put(WireHeaders.NOT_BEFORE, text(Long.toString(m.notBefore().toEpochMilli())));
        }
        putHeaders(m.headers(), attrs);
        SendMessageBatchRequestEntry.Builder b = SendMessageBatchRequestEntry.builder().id(entryId)
                .messageBody(m.payload().length == 0 ? "-" : body != null ? body : Base64.getEncoder().encodeToString(m.payload()))
                .messageAttributes(attrs);
        if (fifo) b.messageGroupId(m.orderingKey()).messageDeduplicationId(deduplicationId(m.id()));
        else b.delaySeconds(delaySeconds);
        return b.build();
    }

    /** SQS's limit of message attributes per message. */
    static final int MAX_ATTRIBUTES = 10;
    /** The headers that standard propagators read: native attributes before any other header. */
    private static final List<String> FIRST = List.of("traceparent", "tracestate", "baggage");

    /** The user's headers as native attributes while they fit, the rest packed into {@code courier-headers}. */
    private static void putHeaders(Map<String, String> headers, Map<String, MessageAttributeValue> attrs) {
        List<String> names = new ArrayList<>();
        for (String f : FIRST) if (headers.containsKey(f)) names.add(f);
        for (String h : headers.keySet()) if (!FIRST.contains(h)) names.add(h);
        List<String> nativeOk = names.stream().filter(h -> canBeAttribute(h, headers.get(h))).toList();
        int room = MAX_ATTRIBUTES - attrs.size();
        boolean allNative = nativeOk.size() == names.size() && names.size() <= room;
        int nativeCount = allNative ? names.size() : Math.min(nativeOk.size(), room - 1);
        Map<String, String> packed = new LinkedHashMap<>();
        for (String h : names) {
            if (nativeCount > 0 && canBeAttribute(h, headers.get(h))) {
                attrs.put(h, text(headers.get(h)));
                nativeCount--;
            } else {
                packed.put(h, headers.get(h));
            }
        }
        if (!packed.isEmpty()) attrs.put(WireHeaders.HEADERS, text(json(packed)));
    }

    /**
     * Whether a header can be an SQS message attribute of its own: a name of letters, digits, {@code _ - .} (no
     * leading, trailing or doubled {@code .}, not {@code AWS.} or {@code Amazon.}, at most 256 characters, not
     * Courier's prefix) and a non-empty value of characters SQS accepts.
     */
    static boolean canBeAttribute(String name, String value) {
        if (name.length() > 256 || !name.matches("[A-Za-z0-9_\\-]+(\\.[A-Za-z0-9_\\-]+)*")) return false;
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("aws.") || lower.startsWith("amazon.") || name.startsWith(WireHeaders.PREFIX)) return false;
        return !value.isEmpty() && isSqsText(value);
    }

    /** The payload as the body text when it is valid UTF-8 of characters SQS accepts, else null (base64 then). */
    static String bodyOf(byte[] payload) {
        if (payload.length == 0) return null;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(payload)).toString();
            return isSqsText(text) ? text : null;
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    /** SQS's allowed characters: #x9 #xA #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000 to #x10FFFF. */
    private static boolean isSqsText(String s) {
        return s.codePoints().allMatch(c -> c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
                || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF));
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
