package io.courier.spi.support;

import io.courier.Message;
import java.util.Set;

/**
 * The names of Courier's own headers on the wire ({@code courier-*}), declared once for every transport: a concept
 * has one name whatever the broker. A transport carries a field natively where the broker has one (Kafka's record
 * key is the ordering key, AMQP's {@code message-id} and NATS's {@code Nats-Msg-Id} the id) and uses these headers
 * for the rest; it removes its transport headers again on receipt, so handlers never see them. The dead-letter
 * headers are added by the runtime and stay on the dead-lettered message for the user to read.
 *
 * <p>The root README's table "Courier's wire headers" lists which transport uses which header.
 */
public final class WireHeaders {
    private WireHeaders() { }

    /** Prefix of every Courier header; user headers must not start with it. */
    public static final String PREFIX = Message.COURIER_PREFIX;

    // ------------------------------------------------------------------ transport headers (removed on receipt)

    /** The message id, where the broker has no id field of its own (or it must differ, as on a relayed NATS message). */
    public static final String ID = "courier-id";
    /** The message's destination ({@code any@group}, {@code uni@group/member} …), where the queue does not tell it. */
    public static final String DESTINATION = "courier-destination";
    /** The ordering key, where the broker has no key field of its own. */
    public static final String KEY = "courier-key";
    /**
     * The ordering key as RabbitMQ adapters before this header set wrote it: read (never written) so that messages
     * already in queues keep their key.
     */
    public static final String LEGACY_ORDERING_KEY = "courier-ordering-key";
    /** The not-before time, epoch milliseconds (UTC), where the broker cannot delay a message that long itself. */
    public static final String NOT_BEFORE = "courier-not-before";
    /**
     * The attempt count carried across a republish (a nack with delay, an expired lease redelivered by copying), as an
     * integer. Kafka writes the attempt number the copy is delivered as; RabbitMQ writes the attempts made before the
     * copy (its queue's {@code x-delivery-count} adds the rest).
     */
    public static final String ATTEMPT = "courier-attempt";
    /** When a republished copy may be delivered again, epoch milliseconds (UTC); absent: at once. */
    public static final String REDELIVER_AT = "courier-redeliver-at";
    /** How the body encodes the payload where the broker's body is text: {@code base64}, or {@code empty}. */
    public static final String ENCODING = "courier-encoding";
    /** The user's headers packed as one JSON object of strings, where the broker allows few attributes. */
    public static final String HEADERS = "courier-headers";

    // ------------------------------------------------------------------ dead-letter headers (kept for the user)

    /** Why the message was dead-lettered; the same as {@link Message#DEAD_LETTER_REASON}. */
    public static final String DEAD_LETTER_REASON = Message.DEAD_LETTER_REASON;
    /** How many attempts were made before dead-lettering, an integer; the same as {@link Message#ATTEMPTS}. */
    public static final String ATTEMPTS = Message.ATTEMPTS;
    /** The destination the dead-lettered message was sent to; the same as {@link Message#ORIGINAL_DESTINATION}. */
    public static final String ORIGINAL_DESTINATION = Message.ORIGINAL_DESTINATION;
    /** The ordering key of the dead-lettered message, when it had one. */
    public static final String ORIGINAL_KEY = Message.ORIGINAL_ORDERING_KEY;
    /** The not-before time of the dead-lettered message, epoch milliseconds (UTC), when it had one. */
    public static final String ORIGINAL_NOT_BEFORE = Message.ORIGINAL_NOT_BEFORE;

    /** The transport headers: a transport removes these on receipt. */
    public static final Set<String> TRANSPORT = Set.of(ID, DESTINATION, KEY, LEGACY_ORDERING_KEY, NOT_BEFORE, ATTEMPT,
            REDELIVER_AT, ENCODING, HEADERS);

    /** True for a transport header (removed on receipt); false for user and dead-letter headers. */
    public static boolean isTransportHeader(String name) { return TRANSPORT.contains(name); }
}
