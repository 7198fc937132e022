package io.courier.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.courier.spi.TransportUrl;
import io.courier.spi.support.PlainClient;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A plain amqp-client publish, as any RabbitMQ application would make it: persistent, the headers as the AMQP headers
 * table, no {@code message-id}, through the default exchange to the group's queue ({@link Names}, the URL's
 * {@code queue-prefix}), {@code mandatory}, waiting for the publisher confirm. The URL's hosts, vhost, credentials and
 * TLS apply.
 */
public final class RabbitPlainClient implements PlainClient {
    @Override public Set<String> schemes() { return Set.of("amqp", "amqps"); }

    @Override
    public void send(String url, String group, byte[] payload, Map<String, String> headers) throws Exception {
        RabbitSettings s = new RabbitSettings(TransportUrl.parse(url).validate(new RabbitProvider().parameters()));
        ConnectionFactory f = s.factory();
        f.setAutomaticRecoveryEnabled(false);
        try (Connection c = f.newConnection(s.addresses, "courier-plain-client"); Channel ch = c.createChannel()) {
            ch.confirmSelect();
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2)
                    .headers(new HashMap<String, Object>(headers)).build();
            ch.basicPublish("", s.names.group(group), true, props, payload);
            ch.waitForConfirmsOrDie(30_000);
        }
    }
}
