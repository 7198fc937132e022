package io.courier.http;

import io.courier.Message;
import io.courier.spi.Received;

/** A delivery from the hub: the message, its attempt number (kept by the hub, C15) and the lease that settles it. */
record HttpDelivery(Message message, int attempt, String lease) implements Received {}
