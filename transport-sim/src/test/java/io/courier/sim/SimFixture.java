package io.courier.sim;

import io.courier.Destination;
import io.courier.Message;
import io.courier.conformance.UrlFixture;
import java.util.List;

/** The conformance fixture of {@code sim://}: a URL, and the engine itself as the "plain client" (C8). */
final class SimFixture extends UrlFixture {
    private final String name;
    private final String engine;

    SimFixture(String name, String engine, String query) {
        super("sim://" + engine + "?" + query, null, true);
        this.name = name;
        this.engine = engine;
    }

    @Override
    public String name() { return name; }

    @Override
    public PlainSender plainSender() {
        return (group, payload, headers) -> SimProvider.engine(engine).send(List.of(
                Message.to(Destination.any(group)).payload(payload).headers(headers).build()));
    }
}
