package io.courier.nats;

import io.courier.spi.Parameter;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.Set;

/**
 * The {@code nats://host:4222[,host:4222][?parameter=value…]} transport provider (and {@code nats+tls://…} for TLS; the generic {@code tls://} is not claimed),
 * on NATS JetStream with jnats. {@code user:password@} or {@code token@} in the URL authenticates. Every parameter
 * is listed in {@link #parameters()}.
 */
public final class NatsProvider implements TransportProvider {

    @Override
    public Set<String> schemes() { return Set.of("nats", "nats+tls"); }

    @Override
    public String artifact() { return "io.courier:transport-nats"; }

    @Override
    public List<Parameter> parameters() { return NatsSettings.ALL; }

    @Override
    public Transport open(TransportUrl url) { return NatsTransport.open(new NatsSettings(url)); }
}
