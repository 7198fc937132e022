package io.courier;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable message: id (set by the sender, used for deduplication), destination, headers (string to string),
 * payload bytes, an optional ordering key and an optional not-before time.
 *
 * <p>Header names are 1 to 128 characters of {@code [A-Za-z0-9_.-]} (a set every broker can carry natively);
 * names starting with {@code courier-} are Courier's own. An invalid name is refused when the message is built.
 * Payload bytes are never logged.
 */
public final class Message {
    /** Prefix of Courier's own headers. */
    public static final String COURIER_PREFIX = "courier-";
    /** Header added on dead-lettering: why the message was dead-lettered. */
    public static final String DEAD_LETTER_REASON = "courier-dead-letter-reason";
    /** Header added on dead-lettering: how many attempts were made. */
    public static final String ATTEMPTS = "courier-attempts";
    /** Header added on dead-lettering: the destination the message was first sent to. */
    public static final String ORIGINAL_DESTINATION = "courier-original-destination";
    /** Header added on dead-lettering a message that had an ordering key: that key (the dead letter has none). */
    public static final String ORIGINAL_ORDERING_KEY = "courier-original-key";
    /** Header added on dead-lettering a message that had a not-before time: that time, epoch milliseconds. */
    public static final String ORIGINAL_NOT_BEFORE = "courier-original-not-before";

    private final String id;
    private final Destination destination;
    private final Map<String, String> headers;
    private final byte[] payload;
    private final String orderingKey;
    private final Instant notBefore;

    private Message(Builder b) {
        this.id = b.id != null ? b.id : MessageIds.next();
        this.destination = Objects.requireNonNull(b.destination, "destination");
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.payload = b.payload;
        this.orderingKey = b.orderingKey;
        this.notBefore = b.notBefore;
    }

    public static Builder to(Destination destination) { return new Builder().destination(destination); }

    public static Builder to(String destination) { return to(Destination.parse(destination)); }

    public String id() { return id; }

    public Destination destination() { return destination; }

    /** Headers in insertion order; unmodifiable. */
    public Map<String, String> headers() { return headers; }

    /** The payload; callers must not modify the returned array. */
    public byte[] payload() { return payload; }

    /** The payload decoded as UTF-8. */
    public String payloadUtf8() { return new String(payload, StandardCharsets.UTF_8); }

    /** The ordering key, or null. */
    public String orderingKey() { return orderingKey; }

    /** Not to be delivered before this instant, or null. */
    public Instant notBefore() { return notBefore; }

    /** A builder initialised with this message's fields. */
    public Builder toBuilder() {
        Builder b = new Builder().id(id).destination(destination).payload(payload).orderingKey(orderingKey).notBefore(notBefore);
        b.headers.putAll(headers);
        return b;
    }

    /** Checks a header name; throws {@link InvalidMessageException} naming the rule. */
    public static void checkHeaderName(String name) {
        if (name == null || !Destination.isName(name, 128)) {
            throw new InvalidMessageException("invalid header name '" + name
                    + "': use 1 to 128 characters of letters, digits, '_', '.' or '-'");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Message m && id.equals(m.id) && destination.equals(m.destination) && headers.equals(m.headers)
                && Arrays.equals(payload, m.payload) && Objects.equals(orderingKey, m.orderingKey)
                && Objects.equals(notBefore, m.notBefore);
    }

    @Override
    public int hashCode() { return id.hashCode(); }

    /** Never includes the payload or header values. */
    @Override
    public String toString() {
        return "Message[id=" + id + ", destination=" + destination + ", bytes=" + payload.length
                + (orderingKey != null ? ", key=" + orderingKey : "") + (notBefore != null ? ", notBefore=" + notBefore : "") + "]";
    }

    /** Builds a {@link Message}; {@code id} defaults to a fresh UUID-shaped id ({@link MessageIds}), payload to empty. */
    public static final class Builder {
        private String id;
        private Destination destination;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private byte[] payload = new byte[0];
        private String orderingKey;
        private Instant notBefore;

        private Builder() {}

        public Builder id(String id) {
            if (id != null && (id.isEmpty() || id.length() > 128)) {
                throw new InvalidMessageException("message id must be 1 to 128 characters, got " + id.length());
            }
            this.id = id;
            return this;
        }

        public Builder destination(Destination destination) { this.destination = destination; return this; }

        public Builder header(String name, String value) {
            checkHeaderName(name);
            headers.put(name, Objects.requireNonNull(value, "header value"));
            return this;
        }

        public Builder headers(Map<String, String> all) { all.forEach(this::header); return this; }

        public Builder removeHeader(String name) { headers.remove(name); return this; }

        public Builder payload(byte[] payload) { this.payload = Objects.requireNonNull(payload, "payload"); return this; }

        public Builder payload(String utf8) { return payload(utf8.getBytes(StandardCharsets.UTF_8)); }

        public Builder orderingKey(String key) { this.orderingKey = key; return this; }

        public Builder notBefore(Instant notBefore) { this.notBefore = notBefore; return this; }

        public Message build() { return new Message(this); }
    }
}
