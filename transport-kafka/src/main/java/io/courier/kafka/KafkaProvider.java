package io.courier.kafka;

import io.courier.spi.Parameter;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.Set;

/**
 * The {@code kafka://host:port[,host:port][?parameter=value…]} transport provider. With {@code user:password@}
 * in the URL it authenticates with SASL ({@code sasl-mechanism}); {@code tls=true} adds TLS. Every parameter is
 * listed in {@link #parameters()}.
 */
public final class KafkaProvider implements TransportProvider {

    @Override
    public Set<String> schemes() { return Set.of("kafka"); }

    @Override
    public String artifact() { return "io.courier:transport-kafka"; }

    @Override
    public List<Parameter> parameters() { return KafkaSettings.ALL; }

    @Override
    public Transport open(TransportUrl url) { return KafkaTransport.open(new KafkaSettings(url)); }
}
