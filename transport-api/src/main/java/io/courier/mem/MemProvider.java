package io.courier.mem;

import io.courier.InvalidUrlException;
import io.courier.spi.Parameter;
import io.courier.spi.Transport;
import io.courier.spi.TransportProvider;
import io.courier.spi.TransportUrl;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** {@code mem://[name][?max-payload=N]}: one shared in-memory engine per name per JVM (default name: default). */
public final class MemProvider implements TransportProvider {
    private static final Map<String, MemEngine> ENGINES = new ConcurrentHashMap<>();

    @Override public Set<String> schemes() { return Set.of("mem"); }

    @Override public String artifact() { return "io.courier:transport-api"; }

    @Override
    public List<Parameter> parameters() {
        return List.of(Parameter.of("max-payload", Parameter.Kind.LONG, "4194304", "largest message in bytes, payload plus headers"));
    }

    @Override
    public Transport open(TransportUrl url) {
        if (url.hosts().size() > 1 || (!url.hosts().isEmpty() && url.hosts().get(0).port() >= 0) || !url.path().isEmpty()) {
            throw new InvalidUrlException("mem:// takes an optional engine name only, e.g. mem:// or mem://tests; got " + url.redacted());
        }
        String name = url.hosts().isEmpty() ? "default" : url.hosts().get(0).host();
        return new MemTransport(engine(name), url.longParam("max-payload"));
    }

    /** The shared engine of that name (created on first use). */
    public static MemEngine engine(String name) { return ENGINES.computeIfAbsent(name, n -> new MemEngine()); }
}
