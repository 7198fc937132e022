package io.courier.sim.example;

import io.courier.Handler;
import io.courier.Message;

/**
 * The README example: a worker that charges an account for each order message ({@code account:cents}). The first
 * is "obviously right" and double-charges when a message is delivered again (a lost ack, a crash before the ack, a
 * duplicate); the second is the fix: idempotency by message id.
 */
public final class ChargeWorkers {
    private ChargeWorkers() {}

    /** Charges on every delivery. Correct only if every message were delivered exactly once, which no broker promises. */
    public static Handler naive(Ledger ledger) {
        return d -> {
            Order o = Order.of(d.message());
            ledger.charge(o.account(), o.cents());
        };
    }

    /** Charges once per message id: redeliveries and duplicates find the charge already applied and just ack. */
    public static Handler idempotent(Ledger ledger) {
        return d -> {
            Order o = Order.of(d.message());
            ledger.chargeOnce(d.message().id(), o.account(), o.cents());
        };
    }

    /** An order message's content. */
    public record Order(String account, long cents) {
        static Order of(Message m) {
            String[] p = m.payloadUtf8().split(":");
            return new Order(p[0], Long.parseLong(p[1]));
        }
    }
}
