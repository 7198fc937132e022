package io.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.TransportUrl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A receiver keeps consuming when the broker takes its consumer away while the connection stays up (issue #21, the
 * quorum-loss run that lost 26,535 confirmed messages: amqp-client's recovery of the consumer timed out on a quorum
 * queue without a majority, its channel closed, the connection stayed up, the consumer never came back). Against the
 * single node of {@link RabbitFixture}: a channel closed by a channel error, and a {@code basic.cancel} (queue deleted,
 * then declared again).
 */
class ConsumerResumeTest {
    static final String URL = "amqp://guest:guest@127.0.0.1:5672/%2F?send-timeout=5s";

    @BeforeAll
    static void broker() { RabbitFixture.requireBroker(); }

    @Test
    void aChannelClosedByTheBrokerIsReplacedAndConsumesAgain() throws Exception {
        String g = "resume-channel-" + UUID.randomUUID().toString().substring(0, 8);
        try (RabbitTransport t = RabbitTransport.open(new RabbitSettings(TransportUrl.parse(URL)))) {
            RabbitReceiver r = (RabbitReceiver) t.openReceiver(new ReceiverSpec(g, null, 16, Duration.ofSeconds(30)));
            try {
                assertEquals("before", roundTrip(t, r, g, "before"));
                r.channel().basicAck(987_654_321L, false); // unknown delivery tag: the broker closes the channel (406), not the connection
                assertEquals("after", roundTrip(t, r, g, "after"), "the message sent after the channel error");
            } finally {
                r.close();
                t.admin().orElseThrow().deleteGroup(g);
            }
        }
    }

    @Test
    void aConsumerCancelledByTheBrokerConsumesAgainOnceItsQueueIsBack() throws Exception {
        String g = "resume-cancel-" + UUID.randomUUID().toString().substring(0, 8);
        try (RabbitTransport t = RabbitTransport.open(new RabbitSettings(TransportUrl.parse(URL)))) {
            RabbitReceiver r = (RabbitReceiver) t.openReceiver(new ReceiverSpec(g, null, 16, Duration.ofSeconds(30)));
            try (Connection plain = RabbitFixture.plainConnection(); Channel ch = plain.createChannel()) {
                assertEquals("before", roundTrip(t, r, g, "before"));
                ch.queueDelete("courier." + g); // the broker sends basic.cancel to the receiver's consumer
                Thread.sleep(500);
                ch.queueDeclare("courier." + g, true, false, false, Map.of("x-queue-type", "quorum"));
                ch.basicPublish("", "courier." + g, com.rabbitmq.client.MessageProperties.PERSISTENT_BASIC, "after".getBytes());
            }
            try {
                assertEquals("after", receiveOne(r, Duration.ofSeconds(20)), "the message published after the queue came back");
            } finally {
                r.close();
                t.admin().orElseThrow().deleteGroup(g);
            }
        }
    }

    /** Sends {@code text} to the group and returns the payload of what the receiver gets within 20 s (acked). */
    static String roundTrip(RabbitTransport t, RabbitReceiver r, String g, String text) throws Exception {
        t.send(List.of(Message.to(Destination.any(g)).payload(text).build())).get(10, TimeUnit.SECONDS);
        return receiveOne(r, Duration.ofSeconds(20));
    }

    static String receiveOne(RabbitReceiver r, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            List<? extends Received> got = r.receive(1, Duration.ofMillis(200));
            if (!got.isEmpty()) {
                r.ack(new ArrayList<>(got));
                return new String(got.get(0).message().payload());
            }
        }
        assertTrue(false, "nothing received within " + bound.toSeconds() + " s");
        return null;
    }
}
