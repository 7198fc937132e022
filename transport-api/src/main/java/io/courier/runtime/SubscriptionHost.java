package io.courier.runtime;

import io.courier.Message;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.util.concurrent.CompletableFuture;

/**
 * What a subscription needs from the facade: open a receiver, send (dead letters), and a name for the logs. The
 * facade implements it; tests pass a fake.
 */
public interface SubscriptionHost {
    /** The transport's scheme, for logs. */
    String transportName();

    /** Opens the receiver of a subscription; may block on the broker and throw its typed errors. */
    Receiver openReceiver(ReceiverSpec spec);

    /** Sends with the facade's checks; completes when durably accepted. */
    CompletableFuture<Void> send(Message message);

    /** Where the subscription records its metrics; {@link Telemetry#NONE} unless the application enabled them. */
    default Telemetry telemetry() { return Telemetry.NONE; }

    /** How the subscription traces its handlers; {@link Tracing#NONE} unless the application enabled it. */
    default Tracing tracing() { return Tracing.NONE; }
}
