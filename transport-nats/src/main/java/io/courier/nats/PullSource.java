package io.courier.nats;

import io.courier.Destination;
import java.time.Duration;

/**
 * One durable pull consumer a receiver reads from, and the one pull request it may have outstanding on it. Pull
 * requests are plain NATS requests to {@code $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>}; the receiver counts
 * what each may still deliver, so that all of them together never ask for more than the runtime's room (C11).
 * Accessed only by the receiver's reading thread.
 */
final class PullSource {
    /** What the consumer holds. */
    enum Kind { ANY, MEMBER, PARTITION, DELAY }

    final Kind kind;
    final String stream;
    final String consumer;
    final Destination arrivesAt;
    /** The consumer's AckWait as the server has it: the lease keeper touches deliveries before it runs out. */
    final Duration serverAckWait;
    final String nextSubject;
    /** Shared by the receivers of the transport on this consumer: keeps request expiries away from redeliveries. */
    final RedeliveryGuard guard;

    /** Reply token of the outstanding pull request, or null. */
    String requestToken;
    /** Messages the outstanding request may still deliver. */
    int remaining;
    /** When the server expires the outstanding request (nanoTime, as registered with the guard). */
    long expiresAtNanos;
    /** Highest stream sequence this receiver got from the consumer with deliveredCount 1. */
    private long highestFirstDelivery;
    /** Reconnect count of the connection when the outstanding request was issued. */
    private long issuedEpoch;
    /** How long past its expiry the outstanding request is counted without end status: on the same connection, after a reconnect. */
    private long graceNanos, reconnectGraceNanos;

    PullSource(Kind kind, String stream, String consumer, Destination arrivesAt, Duration serverAckWait, RedeliveryGuard guard) {
        this.kind = kind;
        this.stream = stream;
        this.consumer = consumer;
        this.arrivesAt = arrivesAt;
        this.serverAckWait = serverAckWait;
        this.nextSubject = "$JS.API.CONSUMER.MSG.NEXT." + stream + "." + consumer;
        this.guard = guard;
    }

    boolean idle() { return requestToken == null; }

    void started(String token, int batch, long expiresAt, long epoch, long grace, long reconnectGrace) {
        requestToken = token;
        remaining = batch;
        expiresAtNanos = expiresAt;
        issuedEpoch = epoch;
        graceNanos = grace;
        reconnectGraceNanos = reconnectGrace;
    }

    /** When the outstanding request is over at the latest, even if its end status never comes (nanoTime). */
    long overdueAt(long epoch) {
        return expiresAtNanos + (epoch == issuedEpoch ? graceNanos : reconnectGraceNanos);
    }

    /** One message of the outstanding request arrived. */
    void delivered() {
        if (requestToken != null && --remaining <= 0) finished();
    }

    void finished() {
        if (requestToken != null) guard.requestEnded(expiresAtNanos);
        requestToken = null;
        remaining = 0;
    }

    /**
     * Notes a delivery; true if it is a first delivery ({@code deliveredCount} 1) of a stream sequence at or below one
     * this receiver already got for the first time: the server stepped its cursor back (see {@link RedeliveryGuard}),
     * or the consumer was deleted and created again.
     */
    boolean rewound(long deliveredCount, long streamSequence) {
        if (deliveredCount != 1) return false;
        if (streamSequence <= highestFirstDelivery) return true;
        highestFirstDelivery = streamSequence;
        return false;
    }

    /**
     * Ends a request whose end status never came: dropped by the server at its expiry (nats-server 2.9, see
     * {@link NatsReceiver#EXPIRED_GRACE_NANOS}) or lost in a disconnect. {@code epoch}: the connection's reconnect count.
     */
    void expireIfOverdue(long now, long epoch) {
        if (requestToken != null && now - overdueAt(epoch) > 0) finished();
    }
}
