package io.courier.postgres;

import io.courier.spi.Parameter;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.Set;

/** The {@code postgres://user:password@host:5432/database?schema=courier} (and {@code postgresql://}) transport provider. */
public final class PostgresProvider implements TransportProvider {

    @Override
    public Set<String> schemes() { return Set.of("postgres", "postgresql"); }

    @Override
    public String artifact() { return "io.courier:transport-postgres"; }

    @Override
    public List<Parameter> parameters() { return PgSettings.ALL; }

    @Override
    public Transport open(TransportUrl url) { return PgTransport.open(new PgSettings(url)); }
}
