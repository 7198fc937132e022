package io.courier.conformance.mutants;

import io.courier.Courier;
import io.courier.Destination;
import io.courier.Message;
import io.courier.conformance.TransportFixture;
import io.courier.mem.MemProvider;
import io.courier.mem.MemTransport;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.UUID;

/** Runs the suite against {@code mem://} broken by one {@link Mutants.Mutant}, on an engine of its own. */
public final class MutantFixture implements TransportFixture {
    private final Mutants.Mutant mutant;
    private final String engine = "mutant-" + UUID.randomUUID().toString().substring(0, 8);

    public MutantFixture(Mutants.Mutant mutant) { this.mutant = mutant; }

    @Override public String name() { return "mem-" + mutant.name(); }

    @Override public String url() { return "mem://" + engine; }

    @Override
    public Courier connect(String url) {
        if (!url.equals(url())) return Courier.connect(url);
        return Courier.wrap(mutant.wrap().apply(new MemTransport(MemProvider.engine(engine), 4L * 1024 * 1024)), TransportUrl.parse(url));
    }

    @Override
    public PlainSender plainSender() {
        return (group, payload, headers) -> MemProvider.engine(engine).send(List.of(
                Message.to(Destination.any(group)).payload(payload).headers(headers).build()));
    }
}
