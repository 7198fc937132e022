package io.courier.kafka;

import io.courier.spi.TransportUrl;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Finds a broker's listener for the conformance suite's connection-cut tests: one that binds a port on the
 * bootstrap host and advertises 127.0.0.1 (or localhost) with another port, where the suite's TCP proxy then listens
 * (as {@code scripts/brokers} configures {@code PROXIED://127.0.0.1:9094}, advertised as {@code 127.0.0.1:19094}).
 * Read from the broker's own {@code listeners} and {@code advertised.listeners} (DescribeConfigs), with the URL's
 * credentials; {@code ./courier conformance kafka://…} uses it when {@code --kafka-proxy-listener} is not given.
 */
public final class KafkaListeners {
    private KafkaListeners() {}

    /** The port of such a listener on the single broker of {@code url}, or empty (several brokers, none, or no answer). */
    public static OptionalInt proxiedListener(String url) {
        KafkaSettings s = new KafkaSettings(TransportUrl.parse(url).validate(KafkaSettings.ALL));
        try (Admin admin = Admin.create(s.admin())) {
            var nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
            if (nodes.size() != 1) return OptionalInt.empty();
            Node node = nodes.iterator().next();
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, Integer.toString(node.id()));
            Config config = admin.describeConfigs(java.util.List.of(broker)).all().get(10, TimeUnit.SECONDS).get(broker);
            return proxied(value(config, "listeners"), value(config, "advertised.listeners"), s.url.hosts().get(0).port());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        } catch (Exception e) {
            return OptionalInt.empty();
        }
    }

    private static String value(Config c, String name) {
        ConfigEntry e = c.get(name);
        return e == null || e.value() == null ? "" : e.value();
    }

    /**
     * From {@code listeners} and {@code advertised.listeners} ({@code NAME://host:port,…}): the bound port of the first
     * listener other than the bootstrap's whose advertised address is loopback on a port other than its own.
     */
    static OptionalInt proxied(String listeners, String advertised, int bootstrapPort) {
        Map<String, Integer> bound = new HashMap<>();
        for (String l : listeners.split(",")) {
            String[] p = parse(l);
            if (p != null) bound.put(p[0], Integer.parseInt(p[2]));
        }
        for (String a : advertised.split(",")) {
            String[] p = parse(a);
            if (p == null || !(p[1].equals("127.0.0.1") || p[1].equals("localhost"))) continue;
            Integer port = bound.get(p[0]);
            int adv = Integer.parseInt(p[2]);
            if (port != null && port != adv && port != bootstrapPort) return OptionalInt.of(port);
        }
        return OptionalInt.empty();
    }

    /** {@code NAME://host:port} as {name, host, port}; null when it is not of that form. */
    private static String[] parse(String listener) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s*([A-Za-z0-9_]+)://\\[?([^\\]]*?)\\]?:(\\d+)\\s*").matcher(listener);
        return m.matches() ? new String[] {m.group(1).toUpperCase(java.util.Locale.ROOT), m.group(2), m.group(3)} : null;
    }
}
