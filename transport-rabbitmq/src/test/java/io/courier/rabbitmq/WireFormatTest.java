package io.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.rabbitmq.client.AMQP;
import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.support.WireHeaders;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ordering key travels as {@code courier-key}; the old {@code courier-ordering-key} is still read. */
class WireFormatTest {
    private static final Destination TO = Destination.any("g");

    @Test
    void writesTheOrderingKeyAsCourierKey() {
        AMQP.BasicProperties p = WireFormat.properties(Message.to(TO).payload(new byte[0]).orderingKey("k1").build());
        assertEquals("k1", p.getHeaders().get(WireHeaders.KEY));
        assertFalse(p.getHeaders().containsKey(WireHeaders.LEGACY_ORDERING_KEY));
        Message back = WireFormat.message(TO, p, new byte[0]);
        assertEquals("k1", back.orderingKey());
        assertFalse(back.headers().containsKey(WireHeaders.KEY));
    }

    @Test
    void readsTheLegacyOrderingKeyOfMessagesAlreadyInQueues() {
        AMQP.BasicProperties p = new AMQP.BasicProperties.Builder().messageId("m1")
                .headers(Map.of(WireHeaders.LEGACY_ORDERING_KEY, "old", "h", "v")).build();
        Message m = WireFormat.message(TO, p, new byte[0]);
        assertEquals("old", m.orderingKey());
        assertEquals(Map.of("h", "v"), m.headers());
    }
}
