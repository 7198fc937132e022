package io.courier.sqs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.InvalidUrlException;
import io.courier.Message;
import io.courier.PayloadTooLargeException;
import io.courier.SubscriptionOptions;
import io.courier.TransportUnavailableException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Errors (C14) and the SQS-specific parts of the adapter, against ElasticMQ of {@link SqsFixture}. */
class SqsTransportTest {
    @BeforeAll
    static void broker() { SqsFixture.requireBroker(); }

    @Test
    void anEndpointWhereNothingListensFailsWithTransportUnavailableNamingTheEndpoint() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        String url = "sqs://127.0.0.1:" + port + "?region=elasticmq&connect-timeout=2s";
        long t0 = System.nanoTime();
        TransportUnavailableException e = assertThrows(TransportUnavailableException.class, () -> Courier.connect(url));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 30, "took too long to fail");
    }

    @Test
    void theSecretKeyIsNeverShown() {
        InvalidUrlException e = assertThrows(InvalidUrlException.class,
                () -> Courier.connect("sqs://AKIAEXAMPLE:very-secret@127.0.0.1:9324?region=elasticmq&nonsense=1"));
        assertFalse(e.getMessage().contains("very-secret"), e.getMessage());
        assertTrue(e.getMessage().contains("nonsense"), e.getMessage());
    }

    @Test
    void aMessageOverTheDeclaredLimitIsRefusedNamingIt() {
        try (Courier c = Courier.connect(new SqsFixture().url())) {
            Message big = Message.to(Destination.any("sqs-t-" + UUID.randomUUID().toString().substring(0, 8)))
                    .payload(new byte[(int) SqsTransport.MAX_PAYLOAD + 1]).build();
            ExecutionException e = assertThrows(ExecutionException.class, () -> c.send(big).get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof PayloadTooLargeException, e.getCause().toString());
            assertTrue(e.getCause().getMessage().contains(Long.toString(SqsTransport.MAX_PAYLOAD)), e.getCause().getMessage());
        }
    }

    @Test
    void theLargestMessageFitsSqsAfterBase64() throws Exception {
        String g = "sqs-t-" + UUID.randomUUID().toString().substring(0, 8);
        try (Courier c = Courier.connect(new SqsFixture().url())) {
            byte[] payload = new byte[(int) SqsTransport.MAX_PAYLOAD - 200];
            new java.util.Random(1).nextBytes(payload);
            c.send(Message.to(Destination.any(g)).header("h", "v".repeat(100)).payload(payload).build()).get(30, TimeUnit.SECONDS);
            CountDownLatch got = new CountDownLatch(1);
            List<byte[]> seen = new ArrayList<>();
            c.subscribe(SubscriptionOptions.group(g).build(), d -> { seen.add(d.message().payload()); got.countDown(); });
            assertTrue(got.await(30, TimeUnit.SECONDS), "not delivered");
            assertEquals(payload.length, seen.get(0).length);
        }
    }
}
