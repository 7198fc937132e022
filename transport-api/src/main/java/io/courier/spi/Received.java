package io.courier.spi;

import io.courier.Message;

/**
 * One delivery as an adapter hands it to the runtime: the message and its attempt number. Adapters implement it
 * with whatever handle they need to settle the delivery later (delivery tag, receipt handle, offset …).
 *
 * <p>{@link #attempt()} is 1 on the first delivery and grows by one on every redelivery, whatever caused it: a
 * nack, an expired lease, a lost connection (C6). It is the one attempt counter shared by the runtime's retries
 * and the broker's redeliveries (C15), so an adapter must derive it from the broker's own delivery count (or a
 * header it carries across republishing), never restart it at 1.
 */
public interface Received {
    Message message();

    int attempt();
}
