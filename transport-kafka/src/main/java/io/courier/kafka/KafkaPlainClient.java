package io.courier.kafka;

import io.courier.spi.TransportUrl;
import io.courier.spi.support.PlainClient;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A plain kafka-clients producer ({@code acks=all}, idempotent, as any Kafka application would use) writing a record
 * with the payload as value and the headers as record headers, no key, to the group's topic ({@link Topics}, the
 * URL's {@code topic-prefix}); the URL's bootstrap servers and credentials (SASL, TLS) apply.
 */
public final class KafkaPlainClient implements PlainClient {
    @Override public Set<String> schemes() { return Set.of("kafka"); }

    @Override
    public void send(String url, String group, byte[] payload, Map<String, String> headers) throws Exception {
        KafkaSettings s = new KafkaSettings(TransportUrl.parse(url));
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(new Topics(s.topicPrefix).group(group).topic(), payload);
        for (Map.Entry<String, String> h : headers.entrySet()) r.headers().add(h.getKey(), h.getValue().getBytes(StandardCharsets.UTF_8));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(properties(s))) {
            producer.send(r).get(30, TimeUnit.SECONDS);
        }
    }

    private static Properties properties(KafkaSettings s) {
        Properties p = s.admin(); // bootstrap, security and credentials of the URL; nothing of Courier's producer tuning
        p.remove(org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "plain-client");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }
}
