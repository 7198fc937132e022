package io.courier.runtime;

import io.courier.UnknownSchemeException;
import io.courier.spi.TransportProvider;
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
            "tls", "io.courier:transport-nats", "sqs", "io.courier:transport-sqs",
            "sim", "io.courier:conformance-tests");

    private Providers() {}

    /** Every scheme on the class path and its provider. */
    public static Map<String, TransportProvider> all() {
        Map<String, TransportProvider> out = new TreeMap<>();
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            for (String s : p.schemes()) out.putIfAbsent(s, p);
        }
        return out;
    }

    /** The provider for a scheme, or {@link UnknownSchemeException} listing the known schemes and what to add. */
    public static TransportProvider forScheme(String scheme) {
        Map<String, TransportProvider> all = all();
        TransportProvider p = all.get(scheme);
        if (p != null) return p;
        String hint = KNOWN.containsKey(scheme)
                ? "add the dependency " + KNOWN.get(scheme) + " to the class path"
                : "use one of those schemes, or add a jar whose META-INF/services/io.courier.spi.TransportProvider handles '" + scheme + "'";
        throw new UnknownSchemeException("unknown transport scheme '" + scheme + "://': the class path has "
                + (all.isEmpty() ? "no transports" : String.join("://, ", all.keySet()) + "://") + "; " + hint);
    }
}
