package io.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.AuthenticationException;
import io.courier.Courier;
import io.courier.InvalidUrlException;
import io.courier.TransportUnavailableException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RabbitMQ-specific errors (C14) and URL forms, against the broker of {@link RabbitFixture}. */
class RabbitTransportTest {

    @BeforeAll
    static void broker() { RabbitFixture.requireBroker(); }

    @Test
    void wrongCredentialsNameTheUserAndVhostButNeverThePassword() {
        AuthenticationException e = assertThrows(AuthenticationException.class,
                () -> Courier.connect("amqp://guest:not-the-pw-42@127.0.0.1:5672/%2F"));
        assertTrue(e.getMessage().contains("'guest'") && e.getMessage().contains("vhost '/'"), e.getMessage());
        assertFalse(e.getMessage().contains("not-the-pw-42"), e.getMessage());
    }

    @Test
    void aMissingVhostIsNamedWithTheFix() {
        InvalidUrlException e = assertThrows(InvalidUrlException.class,
                () -> Courier.connect("amqp://guest:guest@127.0.0.1:5672/courier-test-no-such-vhost"));
        assertTrue(e.getMessage().contains("courier-test-no-such-vhost") && e.getMessage().contains("add_vhost"), e.getMessage());
    }

    @Test
    void aBrokerThatIsDownFailsFastWithTransportUnavailable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        long t0 = System.nanoTime();
        TransportUnavailableException e = assertThrows(TransportUnavailableException.class,
                () -> Courier.connect("amqp://guest:guest@127.0.0.1:" + port + "/?connect-timeout=3s"));
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(Duration.ofSeconds(10)) < 0, "took too long");
        assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("is the broker running") && !e.getMessage().contains("scripts/brokers"), e.getMessage());
        assertFalse(e.getMessage().contains("guest:guest"), e.getMessage());
    }

    @Test
    void anUnknownParameterListsTheValidOnes() {
        InvalidUrlException e = assertThrows(InvalidUrlException.class,
                () -> Courier.connect("amqp://guest:secret-pw@127.0.0.1:5672/%2F?prefetch=5"));
        assertTrue(e.getMessage().contains("prefetch") && e.getMessage().contains("ordering-queues"), e.getMessage());
        assertFalse(e.getMessage().contains("secret-pw"), e.getMessage());
    }

    @Test
    void theDefaultVhostIsWrittenWithoutAPathOrAsSlash() {
        assertEquals("/", RabbitSettings.vhostOf(""));
        assertEquals("/", RabbitSettings.vhostOf("/"));
        assertEquals("/", RabbitSettings.vhostOf("/%2F"));
        assertEquals("orders", RabbitSettings.vhostOf("/orders"));
        try (Courier c = Courier.connect("amqp://guest:guest@127.0.0.1:5672")) {
            assertTrue(c.capabilities().ordering());
        }
    }

    @Test
    void aBrokerRefusalOfAnOversizedMessageIsReadWithBothSizes() {
        long[] sizes = Errors.oversized("406 PRECONDITION_FAILED - message size 20971520 is larger than configured max size 16777216");
        assertEquals(20971520L, sizes[0]);
        assertEquals(16777216L, sizes[1]);
        assertEquals(null, Errors.oversized("320 CONNECTION_FORCED - broker forced connection closure"));
    }

    @Test
    void delayBucketsAreNeverEarlyAndAtMostASixteenthLate() {
        for (long ms : new long[] {1, 99, 100, 101, 2_000, 2_100, 3_333, 59_999, 3_600_000}) {
            long b = Names.bucket(Duration.ofMillis(ms));
            assertTrue(b >= ms && b >= Names.MIN_DELAY_MS, ms + " -> " + b);
            assertTrue(ms < Names.MIN_DELAY_MS || b - ms <= ms / 16, ms + " -> " + b);
        }
    }
}
