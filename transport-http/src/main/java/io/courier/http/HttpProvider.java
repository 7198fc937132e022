package io.courier.http;

import io.courier.spi.Parameter;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.Set;

/**
 * The {@code http://host:port} / {@code https://host:port} transport provider: a client of a Courier hub
 * ({@link io.courier.http.hub.CourierHub}). Opening checks that the hub answers and accepts the token.
 */
public final class HttpProvider implements TransportProvider {

    @Override
    public Set<String> schemes() { return Set.of("http", "https"); }

    @Override
    public String artifact() { return "io.courier:transport-http"; }

    @Override
    public List<Parameter> parameters() { return HttpSettings.ALL; }

    @Override
    public Transport open(TransportUrl url) { return HttpTransport.open(new HttpSettings(url)); }
}
