package io.courier.nats;

import io.courier.spi.TransportUrl;
import io.courier.spi.support.PlainClient;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.util.Map;
import java.util.Set;

/**
 * A plain jnats JetStream publish, as any NATS application would make it: the headers as NATS headers, no
 * {@code Nats-Msg-Id}, on the group's subject ({@link Naming#anySubject}), waiting for the PubAck. The URL's servers
 * and credentials (user and password, or a token) apply.
 */
public final class NatsPlainClient implements PlainClient {
    @Override public Set<String> schemes() { return Set.of("nats", "nats+tls"); }

    @Override
    public void send(String url, String group, byte[] payload, Map<String, String> headers) throws Exception {
        NatsSettings s = new NatsSettings(TransportUrl.parse(url).validate(new NatsProvider().parameters()));
        Options.Builder o = new Options.Builder().servers(s.serverUrls()).connectionName("courier-plain-client").ignoreDiscoveredServers();
        if (s.url.user() != null && s.url.password() != null) o.userInfo(s.url.user(), s.url.password());
        else if (s.url.user() != null) o.token(s.url.user().toCharArray());
        try (Connection nc = Nats.connect(o.build())) {
            Headers h = new Headers();
            headers.forEach(h::put);
            nc.jetStream().publish(NatsMessage.builder().subject(Naming.anySubject(group)).headers(h).data(payload).build());
        }
    }
}
