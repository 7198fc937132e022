package io.courier.kafka;

import io.courier.conformance.TransportFixture;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    private static final String HOW_TO_START = "start it with: scripts/brokers up kafka (from the repository root)";

    @Override public String name() { return "kafka"; }

    @Override public String url() { return "kafka://" + BOOTSTRAP; }

    @Override public InetSocketAddress brokerAddress() { return new InetSocketAddress("127.0.0.1", 9094); }

    @Override public int proxyPort() { return 19094; }

    @Override public String urlThrough(InetSocketAddress proxy) { return "kafka://127.0.0.1:" + proxy.getPort(); }

    @Override public boolean canRestart() { return Files.isExecutable(brokersScript()); }

    @Override public boolean inRepository() { return true; }

    /** {@code scripts/brokers} of the repository (the module's parent directory), or {@code COURIER_BROKERS_SCRIPT}. */
    static Path brokersScript() {
        String env = System.getenv("COURIER_BROKERS_SCRIPT");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of("..", "scripts", "brokers").toAbsolutePath().normalize();
    }

    @Override
    public void restartBroker() throws Exception {
        Process p = new ProcessBuilder(brokersScript().toString(), "restart", "kafka")
                .redirectErrorStream(true).redirectOutput(new File("target/brokers-restart.log")).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("scripts/brokers restart kafka did not finish in 120 s (see target/brokers-restart.log)");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("scripts/brokers restart kafka failed with " + p.exitValue() + ": "
                    + Files.readString(Path.of("target/brokers-restart.log"), StandardCharsets.UTF_8));
        }
        requireBroker();
    }

    /** Fails (never skips) when nothing listens on 127.0.0.1:9092, saying how to start Kafka. */
    static void requireBroker() {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", 9092), 1000);
                return;
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("no Kafka broker at " + BOOTSTRAP + ": " + HOW_TO_START);
                }
                try { Thread.sleep(250); } catch (InterruptedException ie) { Thread.currentThread().interrupt(); return; }
            }
        }
    }

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
