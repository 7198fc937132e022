package io.courier.sim;

import io.courier.InvalidUrlException;
import io.courier.mem.MemEngine;
import io.courier.spi.Parameter;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code sim://[name]?seed=42&dup=0.05&reorder=0.1&delay=0-200ms&drop-ack=0.01&disconnect=0.001&crash=0.01}: the
 * {@code mem://} engine with seeded faults injected at the SPI, for use through {@code Courier.connect} and the
 * normal runtime (see {@link SimTransport}). Transports opened with the same name share one engine, like clients of
 * one broker. For fully deterministic runs on virtual time, use {@link Simulation} instead.
 */
public final class SimProvider implements TransportProvider {
    private static final Map<String, MemEngine> ENGINES = new ConcurrentHashMap<>();

    @Override public Set<String> schemes() { return Set.of("sim"); }

    @Override public String artifact() { return "io.courier:transport-sim"; }

    @Override public List<Parameter> parameters() { return Faults.PARAMETERS; }

    @Override
    public Transport open(TransportUrl url) {
        if (url.hosts().size() > 1 || (!url.hosts().isEmpty() && url.hosts().get(0).port() >= 0) || !url.path().isEmpty()) {
            throw new InvalidUrlException("sim:// takes an optional engine name and fault parameters only, e.g. sim://?seed=42&dup=0.05 or sim://tests?seed=7; got " + url.redacted());
        }
        String name = url.hosts().isEmpty() ? "default" : url.hosts().get(0).host();
        return new SimTransport(engine(name), Faults.of(url), url.longParam("max-payload"), url.boolParam("trace"));
    }

    /** The shared engine of that name, on the system clock (created on first use). */
    public static MemEngine engine(String name) { return ENGINES.computeIfAbsent(name, n -> new MemEngine()); }
}
