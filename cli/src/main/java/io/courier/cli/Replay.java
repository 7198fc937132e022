package io.courier.cli;

import io.courier.Destination;
import io.courier.Message;
import java.time.Instant;
import java.util.List;

/**
 * The message a replay sends for a dead letter made by the runtime: to its original destination, with its payload,
 * headers, ordering key and (when still in the future) its not-before time; without the runtime's dead-letter
 * headers; plus {@value #REPLAYED_FROM} naming the dead-letter group, {@value #ORIGINAL_ID} and {@value #REPLAYS}.
 *
 * <p>Its id is {@code <original id>~replay-<n>}, n counting the replays of that message: deterministic, so a replay
 * repeated after a crash between its send and the removal of the dead letter carries the same id (the transport's
 * and the handler's deduplication recognise it), and new, because reusing the original id loses the replay on a
 * transport that deduplicates sends by id (NATS JetStream drops a repeated {@code Nats-Msg-Id} within its duplicate
 * window, 2 minutes by default; SQS FIFO within 5 minutes), measured on nats:// before this choice.
 */
final class Replay {
    /** Header on a replayed message: the dead-letter group it was replayed from. */
    static final String REPLAYED_FROM = "courier-replayed-from";
    /** Header on a replayed message: the id the message had when it was first sent. */
    static final String ORIGINAL_ID = "courier-original-id";
    /** Header on a replayed message: how many times it was replayed (1 on the first replay). */
    static final String REPLAYS = "courier-replays";
    /** The headers the runtime adds when it dead-letters a message, removed again on replay. */
    static final List<String> DEAD_LETTER_HEADERS = List.of(Message.DEAD_LETTER_REASON, Message.ATTEMPTS,
            Message.ORIGINAL_DESTINATION, Message.ORIGINAL_ORDERING_KEY, Message.ORIGINAL_NOT_BEFORE);
    private static final int MAX_ID = 128;

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
        String originalId = deadLetter.headers().getOrDefault(ORIGINAL_ID, deadLetter.id());
        int replays = Integer.parseInt(deadLetter.headers().getOrDefault(REPLAYS, "0")) + 1;
        Message.Builder b = deadLetter.toBuilder().id(replayId(originalId, replays)).destination(Destination.parse(original))
                .orderingKey(deadLetter.headers().get(Message.ORIGINAL_ORDERING_KEY)).notBefore(notBefore(deadLetter));
        DEAD_LETTER_HEADERS.forEach(b::removeHeader);
        return b.header(REPLAYED_FROM, deadLetterGroup).header(ORIGINAL_ID, originalId).header(REPLAYS, Integer.toString(replays)).build();
    }

    /** {@code <id>~replay-<n>}; an id too long for the suffix is shortened, ending in a hash of the whole id. */
    static String replayId(String originalId, int replays) {
        String suffix = "~replay-" + replays;
        if (originalId.length() + suffix.length() <= MAX_ID) return originalId + suffix;
        String hash = Integer.toHexString(originalId.hashCode());
        return originalId.substring(0, MAX_ID - suffix.length() - hash.length() - 1) + "~" + hash + suffix;
    }
    private static Instant notBefore(Message deadLetter) {
        String millis = deadLetter.headers().get(Message.ORIGINAL_NOT_BEFORE);
        if (millis == null) return null;
        Instant t = Instant.ofEpochMilli(Long.parseLong(millis));
        return t.isAfter(Instant.now()) ? t : null;
    }
}
