package io.courier.rabbitmq;

import io.courier.spi.Parameter;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.Set;

/**
 * The {@code amqp://user:password@host:5672/vhost} (and {@code amqps://}, TLS) transport provider for RabbitMQ.
 * Every parameter is listed in {@link #parameters()}; the mapping of the contract onto RabbitMQ is in the module's
 * README.
 */
public final class RabbitProvider implements TransportProvider {

    @Override
    public Set<String> schemes() { return Set.of("amqp", "amqps"); }

    @Override
    public String artifact() { return "io.courier:transport-rabbitmq"; }

    @Override
    public List<Parameter> parameters() { return RabbitSettings.ALL; }

    @Override
    public Transport open(TransportUrl url) { return RabbitTransport.open(new RabbitSettings(url)); }
}
