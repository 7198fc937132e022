package io.courier.cli;

import io.courier.Destination;
import io.courier.Message;
import java.time.Instant;
import java.util.List;

/**
 * The message a replay sends for a dead letter made by the runtime: to its original destination, with its id,
 * payload, headers, ordering key and (when still in the future) its not-before time; without the runtime's
 * dead-letter headers; plus {@value #REPLAYED_FROM} naming the dead-letter group it was replayed from. The id is
 * kept on purpose: the replayed message is the original one again (a handler that deduplicates by id recognises a
 * copy), and a transport that sees it counts attempts afresh from 1.
 */
final class Replay {
    /** Header on a replayed message: the dead-letter group it was replayed from. */
    static final String REPLAYED_FROM = "courier-replayed-from";
    /** The headers the runtime adds when it dead-letters a message, removed again on replay. */
    static final List<String> DEAD_LETTER_HEADERS = List.of(Message.DEAD_LETTER_REASON, Message.ATTEMPTS,
            Message.ORIGINAL_DESTINATION, Message.ORIGINAL_ORDERING_KEY, Message.ORIGINAL_NOT_BEFORE);

    private Replay() {}

    /**
     * The replay of {@code deadLetter}, read from {@code deadLetterGroup}.
     *
     * @throws IllegalArgumentException when it has no (valid) {@code courier-original-destination}: it was not
     *                                  dead-lettered by the runtime, so where it came from is unknown
     */
    static Message of(Message deadLetter, String deadLetterGroup) {
        String original = deadLetter.headers().get(Message.ORIGINAL_DESTINATION);
        if (original == null) {
            throw new IllegalArgumentException("dead letter " + deadLetter.id() + " has no " + Message.ORIGINAL_DESTINATION
                    + " header (it was not dead-lettered by the Courier runtime): send it yourself with courier send, then purge it");
        }
        Message.Builder b = deadLetter.toBuilder().destination(Destination.parse(original))
                .orderingKey(deadLetter.headers().get(Message.ORIGINAL_ORDERING_KEY)).notBefore(notBefore(deadLetter));
        DEAD_LETTER_HEADERS.forEach(b::removeHeader);
        return b.header(REPLAYED_FROM, deadLetterGroup).build();
    }

    private static Instant notBefore(Message deadLetter) {
        String millis = deadLetter.headers().get(Message.ORIGINAL_NOT_BEFORE);
        if (millis == null) return null;
        Instant t = Instant.ofEpochMilli(Long.parseLong(millis));
        return t.isAfter(Instant.now()) ? t : null;
    }
}
