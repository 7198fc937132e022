package io.courier.runtime;

import io.courier.Destination;
import io.courier.Message;
import io.courier.NonRetryableException;
import io.courier.RetryPolicy;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * The one decision "what happens to this delivery now", written once and used by the runtime and by {@code sim://}:
 * a pure function of the attempt number, the handler's outcome and the {@link RetryPolicy} (no clock, no I/O).
 * <ul>
 *   <li>{@link #onArrival}: a delivery past {@code maxAttempts} (the broker redelivered it after lost leases) is
 *       dead-lettered without running the handler, so attempts never multiply (C15);</li>
 *   <li>{@link #afterHandler}: a normal return acks; {@link NonRetryableException} dead-letters at once; any other
 *       failure retries after the policy's delay, or dead-letters on the last attempt (C7, C15).</li>
 * </ul>
 */
public final class SettlementPolicy {
    private SettlementPolicy() {}

    /** What to do with a delivery. */
    public sealed interface Decision {}

    /** Done: acknowledge. */
    public record Ack() implements Decision {}

    /** Redeliver after {@code delay}; {@code reason} is for the log. */
    public record Retry(Duration delay, String reason) implements Decision {}

    /** Move to the dead-letter destination with this reason. */
    public record DeadLetter(String reason) implements Decision {}

    private static final Ack ACK = new Ack();
    private static final String NOT_RETRYABLE = "not retryable: ", FAILED = "failed ", DELIVERED = "delivered ";

    /** The decision before the handler runs: null to run it, a {@link DeadLetter} when the attempt is past the limit. */
    public static DeadLetter onArrival(int attempt, RetryPolicy retry) {
        int max = retry.maxAttempts();
        if (attempt <= max) return null;
        return new DeadLetter(DELIVERED + attempt + " times, more than maxAttempts=" + max
                + " (earlier attempts were not settled: lease expired or consumer lost)");
    }

    /**
     * The decision after the handler of attempt {@code attempt} returned ({@code failure} null) or threw; the jitter
     * of a retry delay is drawn from {@code random} (seeded in a simulation).
     */
    public static Decision afterHandler(int attempt, Throwable failure, RetryPolicy retry, RandomGenerator random) {
        if (failure == null) return ACK;
        if (failure instanceof NonRetryableException) return new DeadLetter(NOT_RETRYABLE + describe(failure));
        int max = retry.maxAttempts();
        if (attempt >= max) return new DeadLetter(FAILED + attempt + " of maxAttempts=" + max + ": " + describe(failure));
        return new Retry(retry.delayAfter(attempt, random), describe(failure));
    }

    /**
     * The message sent to {@code any@deadLetterGroup} when {@code m} is dead-lettered after {@code attempts}
     * attempts (C7): same id, payload and headers, plus the reason, the attempt count, the original destination and,
     * where the message had them, its ordering key and not-before time (epoch milliseconds), so that a replay can
     * restore it faithfully.
     */
    public static Message deadLetterOf(Message m, String deadLetterGroup, String reason, int attempts) {
        Message.Builder b = m.toBuilder()
                .destination(Destination.any(deadLetterGroup))
                .orderingKey(null).notBefore(null)
                .header(Message.DEAD_LETTER_REASON, reason)
                .header(Message.ATTEMPTS, Integer.toString(attempts))
                .header(Message.ORIGINAL_DESTINATION, m.destination().toString());
        if (m.orderingKey() != null) b.header(Message.ORIGINAL_ORDERING_KEY, m.orderingKey());
        if (m.notBefore() != null) b.header(Message.ORIGINAL_NOT_BEFORE, Long.toString(m.notBefore().toEpochMilli()));
        return b.build();
    }

    /**
     * A bounded category of a dead-letter reason, for metrics: {@code max_attempts}, {@code not_retryable}, or
     * {@code explicit} (a handler's own {@code deadLetter(reason)}).
     */
    public static String reasonKind(String reason) {
        if (reason.startsWith(NOT_RETRYABLE)) return "not_retryable";
        if (reason.startsWith(FAILED) || reason.startsWith(DELIVERED)) return "max_attempts";
        return "explicit";
    }

    /** A throwable as the logs and dead-letter reasons show it: class name and message. */
    public static String describe(Throwable t) {
        return t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
