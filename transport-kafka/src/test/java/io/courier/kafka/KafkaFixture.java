package io.courier.kafka;

import io.courier.conformance.RepositoryBrokers;
import io.courier.conformance.TransportFixture;
import io.courier.conformance.UrlFixture;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The conformance fixture of {@code kafka://}: the broker started by {@code scripts/brokers} on 127.0.0.1:9092,
 * with a second listener on 127.0.0.1:9094 advertised as 127.0.0.1:19094, where the suite's TCP proxy listens (so
 * that every connection of a client bootstrapped through the proxy goes through it).
 */
public final class KafkaFixture implements TransportFixture {
    static final String BOOTSTRAP = "127.0.0.1:9092";

    @Override public String name() { return "kafka"; }

    @Override public String url() { return "kafka://" + BOOTSTRAP; }

    @Override public InetSocketAddress brokerAddress() { return new InetSocketAddress("127.0.0.1", 9094); }

    @Override public int proxyPort() { return 19094; }

    @Override public String urlThrough(InetSocketAddress proxy) { return "kafka://127.0.0.1:" + proxy.getPort(); }

    @Override public boolean canRestart() { return RepositoryBrokers.canRestart(); }

    @Override public boolean inRepository() { return true; }

    @Override
    public void restartBroker() throws Exception {
        RepositoryBrokers.restart("kafka", Duration.ofSeconds(120));
        requireBroker();
    }

    /** Fails (never skips) when nothing listens on 127.0.0.1:9092, saying how to start Kafka. */
    static void requireBroker() { RepositoryBrokers.awaitListening("kafka", "127.0.0.1", 9092); }

    /** The shared plain kafka-clients producer of {@link KafkaPlainClient}, as {@code ./courier conformance} uses it. */
    @Override
    public PlainSender plainSender() { return UrlFixture.plainSenderFor(url()); }
}
