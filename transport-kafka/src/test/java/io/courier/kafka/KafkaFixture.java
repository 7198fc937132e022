package io.courier.kafka;

import io.courier.conformance.RepositoryBrokers;
import io.courier.conformance.TransportFixture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

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

    @Override
    public PlainSender plainSender() {
        return (group, payload, headers) -> {
            try (KafkaProducer<byte[], byte[]> producer = plainProducer()) {
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>("courier." + group, payload);
                for (Map.Entry<String, String> h : headers.entrySet()) r.headers().add(h.getKey(), h.getValue().getBytes(StandardCharsets.UTF_8));
                producer.send(r).get(30, TimeUnit.SECONDS);
            }
        };
    }

    /** A plain kafka-clients producer with full durability, as any Kafka application would use. */
    static KafkaProducer<byte[], byte[]> plainProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }
}
