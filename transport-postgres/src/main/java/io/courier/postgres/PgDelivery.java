package io.courier.postgres;

import io.courier.Message;
import io.courier.spi.Received;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One claimed row: the message, its attempt (the row's {@code attempts} after the claim) and the claim's token
 * ({@code seq}, {@code attempts}): a settlement matches the row only while no later claim changed {@code attempts},
 * so a late ack or nack after the lease expired and another member claimed the row does nothing.
 */
final class PgDelivery implements Received {
    final long seq;
    final int attempt;
    final Message message;
    private final AtomicBoolean settled = new AtomicBoolean();

    PgDelivery(long seq, int attempt, Message message) {
        this.seq = seq;
        this.attempt = attempt;
        this.message = message;
    }

    @Override public Message message() { return message; }

    @Override public int attempt() { return attempt; }

    boolean settle() { return settled.compareAndSet(false, true); }

    boolean settled() { return settled.get(); }
}
