package io.courier;

import java.time.Duration;

/**
 * A received message handed to a {@link Handler}, with its attempt number and the means to settle it.
 *
 * <p>A handler usually does not settle explicitly: returning normally acks, throwing retries (or dead-letters
 * after the last attempt, or at once for {@link NonRetryableException}). Explicit settlement is for handlers that
 * decide otherwise. The first settlement wins; later ones return {@code false} and change nothing, also after the
 * subscription closed or the lease expired.
 */
public interface Delivery {
    Message message();

    /** 1 on first delivery, +1 on every redelivery, whatever caused it (C6, C15). */
    int attempt();

    /** Done: not delivered again (C5). */
    boolean ack();

    /** Redeliver after at least {@code delay}, with the attempt number increased (C6). */
    boolean nack(Duration delay);

    /** Move to the dead-letter destination now, with this reason (C7). */
    boolean deadLetter(String reason);
}
