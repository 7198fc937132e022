package io.courier;

import java.time.Duration;

/** A running subscription of one member of a group: the shared runtime fetching, dispatching and settling. */
public interface Subscription extends AutoCloseable {
    /** Stops fetching new messages; in-flight handlers go on. */
    void pause();

    /** Resumes fetching after {@link #pause()}. */
    void resume();

    /**
     * Waits until the subscription really consumes (its consumer registered with the broker, Kafka partitions
     * assigned), so that a test or a deployment check need not sleep; false if {@code timeout} passed first.
     */
    boolean awaitReady(Duration timeout) throws InterruptedException;

    /** Deliveries fetched and not yet settled. */
    int inFlight();

    /** Closes with the options' grace period. */
    @Override
    void close();

    /**
     * Stops fetching, lets in-flight handlers finish for up to {@code grace}, settles what they finished, releases
     * the rest for redelivery to other members, then closes the receiver (C13). Idempotent; safe from any thread.
     */
    void close(Duration grace);

    boolean isClosed();
}
