package io.courier;

/**
 * Application code run for each delivery. Return normally to ack; throw to retry by the subscription's
 * {@link RetryPolicy}; throw {@link NonRetryableException} to dead-letter at once. A handler must be safe to run more
 * than once for the same message id (at-least-once delivery).
 */
@FunctionalInterface
public interface Handler {
    void handle(Delivery delivery) throws Exception;
}
