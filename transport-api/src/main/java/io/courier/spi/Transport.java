package io.courier.spi;

import io.courier.Message;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One open connection to one delivery medium: what an adapter implements (the "driver"; the policy lives in the
 * shared runtime above it). Thread-safe: {@link #send} and {@link #openReceiver} may be called from many threads.
 *
 * <p>An implementation must guarantee:
 * <ul>
 *   <li><b>C1 accept</b>: the future of {@link #send} completes normally only once the medium has durably accepted
 *       every message of the batch (publisher confirm, {@code acks=all}, PubAck, SQS 200, hub fsync); otherwise it
 *       completes exceptionally with the cause ({@link io.courier.TransportUnavailableException} while the broker
 *       is unreachable). Never success for a message that was not accepted.</li>
 *   <li><b>C8 fidelity</b>: payload bytes and headers arrive unchanged; the message is written in the broker's
 *       native format (payload as body/value, headers as native headers) so that plain clients can read it, and
 *       messages sent by plain clients without Courier headers are received like any other.</li>
 *   <li><b>C9 order, C10 delay</b>: as declared in {@link #capabilities()}.</li>
 *   <li><b>C12 reconnect</b>: the adapter recovers lost connections by itself, using the broker client's own
 *       recovery where it has one.</li>
 *   <li><b>C13 close</b>: {@link #close()} releases every thread and connection; idempotent.</li>
 * </ul>
 * The facade has already checked payload size against {@link Capabilities#maxPayloadBytes()} and header names.
 */
public interface Transport extends AutoCloseable {

    /** What this transport can do. Constant for the transport's life. */
    Capabilities capabilities();

    /**
     * Sends a batch (one or more messages, possibly to different destinations). Completes when all are durably
     * accepted, or exceptionally if any was not (the caller may resend the batch: ids make resends recognisable).
     * Must not block the calling thread for longer than it takes to hand the batch to the client library.
     */
    CompletableFuture<Void> send(List<Message> batch);

    /**
     * Opens a receiver for one group (and, if {@code spec.member()} is set, that member's direct and sticky
     * messages too). Destinations are created on demand, idempotently, with the settings the contract needs.
     */
    Receiver openReceiver(ReceiverSpec spec);

    /**
     * Operator tooling (stats, delete a group), when this transport offers it. Empty by default: the transport
     * then says "not supported" in one line through the CLI.
     */
    default java.util.Optional<Admin> admin() { return java.util.Optional.empty(); }

    /**
     * Whether the transport is connected to its broker right now, for {@link io.courier.Courier#health()}. Optional:
     * empty by default, and the runtime then judges from its subscriptions' receives. An implementation must
     * guarantee:
     * <ul>
     *   <li>it answers from state the client library already keeps (a connection's status), with no broker round
     *       trip and no blocking: health endpoints call it often;</li>
     *   <li>true only while every connection the transport sends or receives through is established; false while one
     *       is lost or recovering, and after {@link #close()};</li>
     *   <li>it never throws.</li>
     * </ul>
     */
    default java.util.Optional<Boolean> reachable() { return java.util.Optional.empty(); }

    /** Releases every resource. Idempotent; open receivers are closed (their leases released). */
    @Override
    void close();
}
