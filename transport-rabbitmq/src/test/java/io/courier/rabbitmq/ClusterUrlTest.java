package io.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Address;
import io.courier.Courier;
import io.courier.InvalidUrlException;
import io.courier.spi.TransportUrl;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An {@code amqp://} URL naming several nodes of a cluster (issue #21): every host is an address of the client's
 * connection list (the first reachable one is used; recovery tries them all again), and a malformed host list is an
 * {@link InvalidUrlException} naming it, never a connection attempt. No broker needed.
 */
class ClusterUrlTest {

    static RabbitSettings settings(String url) { return new RabbitSettings(TransportUrl.parse(url)); }

    @Test
    void everyHostOfTheUrlIsAnAddressOfTheConnection() {
        RabbitSettings s = settings("amqp://guest:guest@127.0.0.1:5681,127.0.0.1:5682,127.0.0.1:5683/%2F?send-timeout=5s");
        assertEquals(List.of(new Address("127.0.0.1", 5681), new Address("127.0.0.1", 5682), new Address("127.0.0.1", 5683)), s.addresses);
        assertEquals("/", s.vhost);
        assertTrue(s.where().contains("127.0.0.1:5681,127.0.0.1:5682,127.0.0.1:5683"), s.where());
        assertFalse(s.where().contains("guest:guest"), s.where());
    }

    @Test
    void aHostWithoutPortGetsTheSchemesDefault() {
        assertEquals(List.of(new Address("node-a", 5672), new Address("node-b", 5673)), settings("amqp://guest:guest@node-a,node-b:5673/").addresses);
        assertEquals(List.of(new Address("node-a", 5671), new Address("node-b", 5671)), settings("amqps://u:p@node-a,node-b/").addresses);
    }

    @Test
    void malformedHostListsAreTypedErrorsNamingTheProblemWithoutThePassword() {
        for (String[] c : new String[][] {
                {"amqp://guest:s3cret-pw@127.0.0.1:5681,,127.0.0.1:5683/%2F", "empty host"},
                {"amqp://guest:s3cret-pw@127.0.0.1:5681,/%2F", "empty host"},
                {"amqp://guest:s3cret-pw@127.0.0.1:5681,127.0.0.1:notaport/%2F", "notaport"},
                {"amqp://guest:s3cret-pw@127.0.0.1:5681,:5682/%2F", "missing host"},
                {"amqp://guest:s3cret-pw@127.0.0.1:5681,bad host:5682/%2F", "bad host"},
        }) {
            InvalidUrlException e = assertThrows(InvalidUrlException.class, () -> Courier.connect(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
            assertFalse(e.getMessage().contains("s3cret-pw"), e.getMessage());
        }
    }
}
