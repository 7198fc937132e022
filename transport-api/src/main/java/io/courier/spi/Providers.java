package io.courier.spi;

import io.courier.CourierException;
import io.courier.UnknownSchemeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds {@link TransportProvider}s on the class path with {@link ServiceLoader}. */
public final class Providers {
    /** Artifacts of Courier's own transports, to tell a user what to add for a known scheme. */
    private static final Map<String, String> KNOWN = Map.of(
            "http", "io.courier:transport-http", "https", "io.courier:transport-http",
            "kafka", "io.courier:transport-kafka", "amqp", "io.courier:transport-rabbitmq",
            "amqps", "io.courier:transport-rabbitmq", "nats", "io.courier:transport-nats",
            "nats+tls", "io.courier:transport-nats", "sqs", "io.courier:transport-sqs",
            "sim", "io.courier:transport-sim");

    private Providers() {}

    /** Every scheme on the class path and the providers that claim it (one, unless the class path is ambiguous). */
    public static Map<String, List<TransportProvider>> all() {
        Map<String, List<TransportProvider>> out = new TreeMap<>();
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            for (String s : p.schemes()) {
                List<TransportProvider> claims = out.computeIfAbsent(s, k -> new ArrayList<>());
                if (claims.stream().noneMatch(c -> c.getClass().getName().equals(p.getClass().getName()))) claims.add(p);
            }
        }
        return out;
    }

    /**
     * The provider for a scheme. Throws {@link UnknownSchemeException} listing the known schemes and what to add, or
     * {@link CourierException} naming both artifacts when two different providers claim the scheme (the class path
     * decides nothing silently).
     */
    public static TransportProvider forScheme(String scheme) {
        Map<String, List<TransportProvider>> all = all();
        List<TransportProvider> claims = all.getOrDefault(scheme, List.of());
        if (claims.size() > 1) {
            List<String> who = claims.stream().map(p -> p.artifact() + " (" + p.getClass().getName() + ")").toList();
            throw new CourierException("transport scheme '" + scheme + "://' is claimed by " + String.join(" and ", who)
                    + ": remove all but one of them from the class path");
        }
        if (claims.size() == 1) return claims.get(0);
        String hint = KNOWN.containsKey(scheme)
                ? "add the dependency " + KNOWN.get(scheme) + " to the class path"
                : "use one of those schemes, or add a jar whose META-INF/services/io.courier.spi.TransportProvider handles '" + scheme + "'";
        throw new UnknownSchemeException("unknown transport scheme '" + scheme + "://': the class path has "
                + (all.isEmpty() ? "no transports" : String.join("://, ", all.keySet()) + "://") + "; " + hint);
    }
}
