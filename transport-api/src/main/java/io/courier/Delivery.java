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

    /**
     * Done: not delivered again (C5). Returns whether this call settled the delivery. The subscription hands acks to
     * the transport in batches: an ack made while the handler runs (or by its normal return) is queued and sent when
     * the handler's worker runs out of ready deliveries, when 64 are queued, or between two handlers once the oldest
     * waited 5 ms; at the latest on the next lease tick (a third of the ack deadline), and always before the
     * subscription closes. An ack made from another thread is sent at once. Until it is sent the delivery counts as
     * in flight (prefetch, {@link Subscription#inFlight()}); a crash in between means a redelivery (C5's window).
     */
    boolean ack();

    /** Redeliver after at least {@code delay}, with the attempt number increased (C6). */
    boolean nack(Duration delay);

    /** Move to the dead-letter destination now, with this reason (C7). */
    boolean deadLetter(String reason);
}
