package io.courier.nats;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.CourierException;
import io.courier.TransportUnavailableException;
import io.courier.spi.TransportUrl;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.Error;
import io.nats.client.support.Status;
import org.junit.jupiter.api.Test;

/** How JetStream's answers map to Courier's typed errors (no server needed: the answers are built as jnats builds them). */
class ErrorsTest {
    private final NatsSettings settings = new NatsSettings(TransportUrl.parse("nats://127.0.0.1:4222").validate(new NatsProvider().parameters()));

    @Test
    void c12_noRespondersWhileJetStreamRestartsIsTransportUnavailable() {
        // what jnats throws for a stream lookup or publish while the server restarts: status 503 converted to an API error
        JetStreamApiException e = new JetStreamApiException(Error.convert(new Status(503, "No Responders Available For Request")));
        CourierException mapped = Errors.general(e, settings, "send of message m1 to g.s");
        assertInstanceOf(TransportUnavailableException.class, mapped, mapped.getMessage());
        assertTrue(mapped.getMessage().contains("not answering"), mapped.getMessage());
    }

    /** Seen in the full run (C12 strict): an async publish during a restart fails with the 503 inside an IOException inside a RuntimeException. */
    @Test
    void c12_aPublishFailureWrappedByJnatsIsTransportUnavailable() {
        RuntimeException e = new RuntimeException(new java.io.IOException("Error Publishing: 503 No Responders Available For Request"));
        CourierException mapped = Errors.general(new java.util.concurrent.CompletionException(e), settings, "send of message m1 to g.s");
        assertInstanceOf(TransportUnavailableException.class, mapped, mapped.getMessage());
    }

    @Test
    void c14_aRefusalOfJetStreamStaysARefusal() {
        JetStreamApiException e = new JetStreamApiException(Error.JsBadRequestErr);
        CourierException mapped = Errors.general(e, settings, "creating stream");
        assertTrue(!(mapped instanceof TransportUnavailableException), mapped.getMessage());
    }
}
