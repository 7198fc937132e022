package io.courier.sqs;

import io.courier.spi.Parameter;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.Set;

/**
 * The {@code sqs://host:port?region=…} (an endpoint such as ElasticMQ) and {@code sqs://aws?region=…} (Amazon SQS)
 * transport provider. Every parameter is listed in {@link #parameters()}.
 */
public final class SqsProvider implements TransportProvider {

    @Override
    public Set<String> schemes() { return Set.of("sqs"); }

    @Override
    public String artifact() { return "io.courier:transport-sqs"; }

    @Override
    public List<Parameter> parameters() { return SqsSettings.ALL; }

    @Override
    public Transport open(TransportUrl url) { return SqsTransport.open(new SqsSettings(url)); }
}
