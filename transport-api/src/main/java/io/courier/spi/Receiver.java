package io.courier.spi;

import java.time.Duration;
import java.util.List;

/**
 * The pull side of a transport, the common denominator of Kafka, JetStream, SQS and the hub: "give me up to N
 * deliveries, wait up to T", plus settlement per delivery. Used by one runtime fetch loop at a time, but
 * settlement methods may be called from any thread, concurrently with {@link #receive}.
 *
 * <p>An implementation must guarantee:
 * <ul>
 *   <li><b>C2 at-least-once</b>: every accepted message of the group (and member) is eventually returned by
 *       {@code receive} until it is acked, across consumer crashes, broker restarts, cut connections, rebalances;</li>
 *   <li><b>C3 competing</b>: an {@code any@group} message is leased to one receiver at a time;</li>
 *   <li><b>C4 direct</b>: {@code uni@group/member} messages only reach the receiver of that member;</li>
 *   <li><b>C5 ack</b>: an acked delivery is not returned again;</li>
 *   <li><b>C6 redelivery</b>: a delivery neither settled nor extended within the ack deadline, or whose receiver
 *       closed or lost its connection, is redelivered with {@code attempt + 1}; after {@link #nack} not before the
 *       delay;</li>
 *   <li><b>C11 backpressure</b>: never more than {@code prefetch} unsettled deliveries are held for this receiver
 *       (a push-based client's buffer is bounded by it).</li>
 * </ul>
 * Settling a delivery twice, or after its lease expired, or after close, is harmless: an implementation ignores it
 * (it may log at DEBUG) and never throws for it.
 */
public interface Receiver extends AutoCloseable {

    /**
     * Returns up to {@code max} deliveries, waiting up to {@code wait} for the first one; an empty list when none
     * came. Throws {@link io.courier.TransportUnavailableException} only when the broker stays unreachable; short
     * outages are absorbed by reconnecting.
     */
    List<? extends Received> receive(int max, Duration wait) throws InterruptedException;

    /** Acknowledges: these deliveries are done and must not be delivered again (C5). */
    void ack(List<? extends Received> deliveries);

    /**
     * Negative acknowledgement: redeliver each after at least {@code delay} (zero: as soon as possible), with the
     * attempt number increased, without blocking later messages of the same queue or partition (C6).
     */
    void nack(List<? extends Received> deliveries, Duration delay);

    /**
     * Gives back deliveries that no handler has seen (the runtime fetched them, then closed before running them):
     * they must be delivered again like after {@code nack(deliveries, Duration.ZERO)}. An implementation whose broker
     * lets it should not count this as an attempt (C15: an attempt is a handler run or a lost lease), so that a
     * message bouncing between closing subscribers is not dead-lettered for it; the default nacks, which counts.
     */
    default void release(List<? extends Received> deliveries) { nack(deliveries, Duration.ZERO); }

    /**
     * Extends the lease of deliveries still being handled so that they are not redelivered to another member: each
     * stays leased for at least {@code extension} from now (C16).
     */
    void extendLease(List<? extends Received> deliveries, Duration extension);

    /**
     * Waits until this receiver really consumes: the broker has registered it and given it its share of the group
     * (Kafka: partitions assigned; a broker that registers a consumer when it is created is ready at once, the
     * default). Returns false when {@code timeout} passed first. Must not consume messages itself.
     */
    default boolean awaitReady(Duration timeout) throws InterruptedException { return true; }

    /**
     * The runtime's current prefetch window, at most {@link ReceiverSpec#prefetch()}: from now on it holds at most
     * {@code window} unsettled deliveries of this receiver. Called from the fetch thread when the window changes (a
     * subscription without an explicit prefetch adapts it). A receiver whose broker pushes ahead of {@link #receive}
     * (a consumer prefetch) should bound what it is pushed by it where that is cheap; pull receivers get it as the
     * {@code max} of {@link #receive} anyway. The default does nothing.
     */
    default void window(int window) { }

    /** Stops receiving; unsettled deliveries are released for redelivery (C13). Idempotent. */
    @Override
    void close();
}
