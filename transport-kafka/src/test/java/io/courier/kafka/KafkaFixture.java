package io.courier.kafka;

import io.courier.conformance.RepositoryBrokers;
import io.courier.conformance.TransportFixture;
import io.courier.conformance.UrlFixture;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The conformance fixture of {@code kafka://}: the broker started by {@code scripts/brokers} on 127.0.0.1:9092,
 * with a second listener on 127.0.0.1:9094 advertised as 127.0.0.1:19094, where the suite's TCP proxy listens (so
 * that every connection of a client bootstrapped through the proxy goes through it). The ports are those of
 * {@code scripts/brokers}, and like it read {@code COURIER_KAFKA_PORT}, {@code COURIER_KAFKA_PROXIED_PORT} and
 * {@code COURIER_KAFKA_PROXIED_ADVERTISED_PORT}, so the suite runs against a private broker started with them.
 */
public final class KafkaFixture implements TransportFixture {
    static final int PORT = port("COURIER_KAFKA_PORT", 9092);
    static final String BOOTSTRAP = "127.0.0.1:" + PORT;
    private static final int PROXIED_PORT = port("COURIER_KAFKA_PROXIED_PORT", 9094);
    private static final int PROXY_PORT = port("COURIER_KAFKA_PROXIED_ADVERTISED_PORT", 19094);

    private static int port(String variable, int fallback) {
        String v = System.getenv(variable);
        return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
    }

    @Override public String name() { return "kafka"; }

    @Override public String url() { return "kafka://" + BOOTSTRAP; }

    @Override public InetSocketAddress brokerAddress() { return new InetSocketAddress("127.0.0.1", PROXIED_PORT); }

    @Override public int proxyPort() { return PROXY_PORT; }

    @Override public String urlThrough(InetSocketAddress proxy) { return "kafka://127.0.0.1:" + proxy.getPort(); }

    @Override public boolean canRestart() { return RepositoryBrokers.canRestart(); }

    @Override public boolean inRepository() { return true; }

    @Override
    public void restartBroker() throws Exception {
        RepositoryBrokers.restart("kafka", Duration.ofSeconds(120));
        requireBroker();
    }

    /** Fails (never skips) when nothing listens on the broker's port, saying how to start Kafka. */
    static void requireBroker() { RepositoryBrokers.awaitListening("kafka", "127.0.0.1", PORT); }

    /** The shared plain kafka-clients producer of {@link KafkaPlainClient}, as {@code ./courier conformance} uses it. */
    @Override
    public PlainSender plainSender() { return UrlFixture.plainSenderFor(url()); }
}
